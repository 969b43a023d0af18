"""The default training set: the shared public data sets -> ``labels.parquet`` + data card.

    >>> from labeling.shared import SharedDataConfig, build_shared_dataset
    >>> result = build_shared_dataset(SharedDataConfig(), Path("build/labels"))

Per-model outcomes become 3-tier soft labels through one item-response model
(:func:`soft_labels`).
"""

from __future__ import annotations

from labeling.shared._dataset import SharedDataConfig, build_shared_dataset, build_shared_frame
from labeling.shared._soft_labels import SoftLabelConfig, SoftLabels, soft_labels
from labeling.shared._sources import SourceItem, read_shared_sources, stem_key

__all__ = [
    "SharedDataConfig",
    "SoftLabelConfig",
    "SoftLabels",
    "SourceItem",
    "build_shared_dataset",
    "build_shared_frame",
    "read_shared_sources",
    "soft_labels",
    "stem_key",
]
