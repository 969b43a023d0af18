"""``tierroute dataset outcomes``: every shared outcome source as one label dataset.

The soft labels are :func:`labeling.transfer._benchmark.item_tier_probs` (a tier counts only where
it succeeds and the cheaper thirds of the source's models fail; unanswered requests go
to the cheapest tier), the confidence is a per-source weight so that every source
counts the same in total (the largest gets 1), and the split is a stable hash of the
text. This is what the shipped feature head is fitted on (``make model``) and what the
transfer benchmark holds out one source at a time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from classifier import LABEL_COLUMNS, write_label_parquet
from labeling.transfer._benchmark import group_sources, item_tier_probs
from labeling.transfer._sources import read_outcome_sources
from policies import LabelingError

__all__ = ["build_outcome_dataset"]

TIERS = ("small", "medium", "frontier")


def _split(text: str) -> str:
    bucket = hashlib.blake2b(b"split:" + text.encode(), digest_size=2).digest()[0]
    return "test" if bucket < 26 else "val" if bucket < 52 else "train"


def build_outcome_dataset(out: Path, data_dir: Path, exclude: tuple[str, ...] = ()) -> Path:
    """Write ``out/labels.parquet``; ``exclude``: source name prefixes to leave out."""
    import polars as pl

    sources = [
        s
        for s in group_sources(read_outcome_sources(data_dir))
        if not any(s.name.startswith(p) for p in exclude)
    ]
    if not sources:
        raise LabelingError(f"{data_dir}: no outcome source left (exclude={list(exclude)})")
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    sizes = {s.name: len(s.texts) for s in sources}
    for source in sources:
        probs = item_tier_probs(source)
        weight = min(sizes.values()) / sizes[source.name]
        for text, p in zip(source.texts, probs, strict=True):
            group = hashlib.blake2b(text.strip().lower().encode(), digest_size=8).hexdigest()
            if not np.all(np.isfinite(p)) or group in seen:
                continue
            seen.add(group)
            index = int(np.argmax(p))
            rows.append(
                {
                    "group_id": group,
                    "text": text,
                    "label": TIERS[index],
                    "label_index": index,
                    "confidence": weight,
                    "tier_probs": [float(v) for v in p],
                    "source": source.name,
                    "split": _split(text),
                }
            )
    frame = pl.DataFrame(rows)
    frame = frame.with_columns(pl.col("confidence") / pl.col("confidence").max())
    unknown = set(frame.columns) - set(LABEL_COLUMNS)
    if unknown:
        raise LabelingError(f"outcome dataset: columns {sorted(unknown)} are not in the contract")
    out.mkdir(parents=True, exist_ok=True)
    target = out / "labels.parquet"
    write_label_parquet(frame, target, TIERS)
    return target
