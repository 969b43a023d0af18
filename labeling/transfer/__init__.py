"""Per-model outcome sources: the leave-one-source-out transfer benchmark (does a router
transfer to a source it never saw?) and the outcome label dataset.

    >>> from labeling.transfer import TransferConfig, run_transfer
"""

from __future__ import annotations

from labeling.transfer._candidates import CANDIDATES
from labeling.transfer._dataset import build_outcome_dataset
from labeling.transfer._run import (
    BLENDS,
    DEFAULT_CANDIDATES,
    TransferConfig,
    TransferReport,
    run_transfer,
)
from labeling.transfer._sources import read_outcome_sources

__all__ = [
    "BLENDS",
    "CANDIDATES",
    "DEFAULT_CANDIDATES",
    "TransferConfig",
    "TransferReport",
    "build_outcome_dataset",
    "read_outcome_sources",
    "run_transfer",
]
