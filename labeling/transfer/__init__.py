"""Per-model outcome sources: the leave-one-source-out transfer benchmark (does a router
transfer to a source it never saw?), the check against the shipping bar, the outcome
label dataset and per-tier outcome tables for calibrating a policy.

    >>> from labeling.transfer import TransferConfig, run_transfer
"""

from __future__ import annotations

from labeling.transfer._bag import BAG_CAP, BAG_CHARS_PER_TOKEN, bag_vectors, static_embeddings
from labeling.transfer._benchmark import Source, SourceResult, group_sources
from labeling.transfer._bootstrap import (
    BootCompare,
    SourceInterval,
    bootstrap_to_dict,
    paired_bootstrap,
)
from labeling.transfer._candidates import CANDIDATES
from labeling.transfer._dataset import build_outcome_dataset
from labeling.transfer._run import (
    BLENDS,
    DEFAULT_CANDIDATES,
    HeldOut,
    TransferConfig,
    TransferReport,
    run_transfer,
)
from labeling.transfer._sources import read_outcome_sources
from labeling.transfer._summary import MACRO_MARGIN, SOURCE_MARGIN, Versus, versus
from labeling.transfer._tier_tables import tier_columns, tier_scores, write_tier_tables

__all__ = [
    "BAG_CAP",
    "BAG_CHARS_PER_TOKEN",
    "BLENDS",
    "BootCompare",
    "CANDIDATES",
    "DEFAULT_CANDIDATES",
    "HeldOut",
    "MACRO_MARGIN",
    "SOURCE_MARGIN",
    "Source",
    "SourceInterval",
    "SourceResult",
    "TransferConfig",
    "TransferReport",
    "Versus",
    "bag_vectors",
    "bootstrap_to_dict",
    "build_outcome_dataset",
    "group_sources",
    "paired_bootstrap",
    "read_outcome_sources",
    "run_transfer",
    "static_embeddings",
    "tier_columns",
    "tier_scores",
    "versus",
    "write_tier_tables",
]
