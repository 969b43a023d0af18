"""The column contract of a labeled dataset (``labels.parquet``), with polars dtypes.

``labeling`` writes it (importing these names), ``classifier`` training reads it.
One row per distinct prompt (dedup group). The file's parquet metadata carries the tier
order (cheapest first) and the contract version, so a dataset labeled with any policy's
tiers trains without being told them again::

    write_label_parquet(frame, path, tiers=("small", "medium", "frontier"))
    read_label_metadata(path).tiers  # ('small', 'medium', 'frontier')

This module imports polars; ``classifier`` loads it on first use of these names, so
``import classifier`` stays light.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from policies import ClassifierError

__all__ = [
    "LABEL_COLUMNS",
    "LABEL_CONTRACT_VERSION",
    "LABEL_SCHEMA",
    "REQUIRED_LABEL_COLUMNS",
    "SPLITS",
    "LabelMetadata",
    "label_metadata",
    "read_label_metadata",
    "write_label_parquet",
]

# 1: dtypes as strings, no file metadata; 2: tier order + version in the file's metadata
LABEL_CONTRACT_VERSION = 2
TIERS_KEY = "tierroute.tiers"
VERSION_KEY = "tierroute.label_contract"

# name -> (polars dtype, meaning)
LABEL_COLUMNS: dict[str, tuple[pl.DataType, str]] = {
    "group_id": (pl.String(), "stable id of the dedup group (hash of the normalized text)"),
    "text": (pl.String(), "the prompt text the classifier scores (PII scrubbed)"),
    "label": (pl.String(), "cheapest sufficient tier, one of the policy's tier names"),
    "label_index": (pl.Int32(), "position of label in the tier order (ordinal target)"),
    "confidence": (pl.Float64(), "aggregated confidence of the label, 0..1"),
    "tier_probs": (pl.List(pl.Float64()), "soft label: probability per tier, in tier order"),
    "voters": (pl.List(pl.String()), "labeling functions that voted (did not abstain)"),
    "n_records": (pl.Int64(), "how many log records this prompt stands for"),
    "source": (pl.String(), "input source of the first record (file stem or dataset name)"),
    "split": (pl.String(), "train, val or test: stable hash of group_id"),
}
LABEL_SCHEMA = pl.Schema({name: dtype for name, (dtype, _) in LABEL_COLUMNS.items()})
REQUIRED_LABEL_COLUMNS = ("text", "label", "split")
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class LabelMetadata:
    """What a label file says about itself (``None``: written before contract 2)."""

    tiers: tuple[str, ...] | None
    contract_version: int | None


def label_metadata(tiers: Sequence[str]) -> dict[str, str]:
    """The parquet key-value metadata of a label file labeled with ``tiers``."""
    if len(tiers) < 2 or len(set(tiers)) != len(tiers):
        raise ClassifierError(f"tiers: expected two or more distinct names, got {list(tiers)}")
    return {TIERS_KEY: json.dumps(list(tiers)), VERSION_KEY: str(LABEL_CONTRACT_VERSION)}


def write_label_parquet(
    frame: pl.DataFrame, path: str | Path, tiers: Sequence[str], **options: object
) -> Path:
    """Write ``frame`` to ``path`` with the tier order and contract version as metadata."""
    path = Path(path)
    frame.write_parquet(path, metadata=label_metadata(tiers), **options)  # type: ignore[arg-type]
    return path


def read_label_metadata(path: str | Path) -> LabelMetadata:
    """The tier order and contract version stored in ``path`` (a label file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        raw = pq.read_metadata(path).metadata or {}
    except (OSError, pa.ArrowInvalid) as exc:
        raise ClassifierError(f"{path}: cannot read the label dataset: {exc}") from exc
    meta = {k.decode(): v.decode() for k, v in raw.items() if k.startswith(b"tierroute.")}
    version = int(meta[VERSION_KEY]) if meta.get(VERSION_KEY, "").isdigit() else None
    if version is not None and version > LABEL_CONTRACT_VERSION:
        raise ClassifierError(
            f"{path}: label contract {version} is newer than this tierroute's "
            f"({LABEL_CONTRACT_VERSION}); upgrade tierroute"
        )
    tiers = _tiers(meta.get(TIERS_KEY), path)
    return LabelMetadata(tiers=tiers, contract_version=version)


def _tiers(raw: str | None, path: str | Path) -> tuple[str, ...] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ClassifierError(f"{path}: metadata {TIERS_KEY}: invalid JSON: {exc}") from exc
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ClassifierError(f"{path}: metadata {TIERS_KEY}: expected a list of tier names")
    return tuple(value)
