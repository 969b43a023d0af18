"""What a model review scores: held-out labeled rows, RouterBench rows, slices.

Slices of the labeled rows (each a boolean mask): the router's detectors ``sql``,
``code`` and ``math``; ``long_prompt`` (at least 512 estimated tokens);
``non_english`` (over 30 % non-ASCII characters, the labeling functions' heuristic:
it catches non-Latin scripts, not French or German); ``source:NAME`` per source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from classifier import ROUTERBENCH_TIER_MODELS, RouterBenchRow
from classifier.evaluation import RoutingTable, prompt_text, routing_table
from policies import ClassifierError, LabelingError
from router import detect_code, detect_math, detect_sql, estimate_tokens

__all__ = ["LONG_PROMPT_TOKENS", "OutcomeRows", "ReviewData", "read_review_data", "slice_masks"]

LONG_PROMPT_TOKENS = 512
NON_ASCII_SHARE = 0.3
Mask = NDArray[np.bool_]


@dataclass(frozen=True)
class OutcomeRows:
    """RouterBench test rows: the routing table (strong/weak pair) and per-tier outcomes."""

    texts: tuple[str, ...]
    sources: tuple[str, ...]
    table: RoutingTable
    correct: dict[str, NDArray[np.float64]]  # tier -> 0/1 per row (that tier's model)
    cost: dict[str, NDArray[np.float64]]  # tier -> recorded USD per row


@dataclass(frozen=True)
class ReviewData:
    texts: tuple[str, ...]
    truth: NDArray[np.int64]  # tier index per labeled row
    labels: tuple[str, ...]
    sources: tuple[str, ...]
    path: str
    split: str
    outcomes: OutcomeRows | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return len(self.texts)


def _non_english(text: str) -> bool:
    if not text:
        return False
    return sum(1 for c in text if ord(c) > 127) / len(text) > NON_ASCII_SHARE


def slice_masks(texts: Sequence[str], sources: Sequence[str]) -> dict[str, Mask]:
    """Named boolean masks over ``texts`` (see the module docstring); empty ones dropped."""
    detectors = {"sql": detect_sql, "code": detect_code, "math": detect_math}
    masks = {name: np.array([fn(t) for t in texts], dtype=bool) for name, fn in detectors.items()}
    masks["long_prompt"] = np.array([estimate_tokens(t) >= LONG_PROMPT_TOKENS for t in texts])
    masks["non_english"] = np.array([_non_english(t) for t in texts], dtype=bool)
    source_array = np.array(sources, dtype=object)
    for source in sorted(set(sources)):
        masks[f"source:{source}"] = source_array == source
    return {name: mask.astype(bool) for name, mask in masks.items() if mask.any()}


def read_review_data(
    path: str | Path,
    labels: Sequence[str],
    *,
    split: str = "test",
    routerbench_dir: str | Path | None = None,
    tier_models: dict[str, str] | None = None,
) -> ReviewData:
    """Held-out rows of a labels.parquet (tiers in ``labels`` order) and RouterBench rows."""
    import polars as pl

    path = Path(path)
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise LabelingError(f"{path}: cannot read labels parquet: {exc}") from exc
    missing = [c for c in ("text", "label", "split") if c not in frame.columns]
    if missing:
        raise LabelingError(f"{path}: missing columns {missing}")
    rows = frame.filter(pl.col("split") == split)
    if rows.height == 0:
        raise LabelingError(f"{path}: no rows in split {split!r}")
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(rows["label"].to_list()) - set(index))
    if unknown:
        raise LabelingError(f"{path}: labels {unknown} are not the model's tiers {list(labels)}")
    sources = rows["source"].to_list() if "source" in rows.columns else ["unknown"] * rows.height
    warnings: list[str] = []
    outcomes = _outcome_rows(
        routerbench_dir, tier_models or dict(ROUTERBENCH_TIER_MODELS), warnings
    )
    return ReviewData(
        texts=tuple(str(t) for t in rows["text"].to_list()),
        truth=np.array([index[v] for v in rows["label"].to_list()], dtype=np.int64),
        labels=tuple(labels),
        sources=tuple(str(s or "unknown") for s in sources),
        path=str(path),
        split=split,
        outcomes=outcomes,
        warnings=tuple(warnings),
    )


def _outcome_rows(
    folder: str | Path | None, tier_models: dict[str, str], warnings: list[str]
) -> OutcomeRows | None:
    from classifier import read_routerbench, shared_data_dir

    base = Path(folder) if folder is not None else shared_data_dir()
    if base.name == "routerbench":
        base = base.parent
    if not (base / "routerbench").is_dir():
        warnings.append(f"{base / 'routerbench'}: not found; routing metrics skipped")
        return None
    try:
        rows: list[RouterBenchRow] = [
            r
            for r in read_routerbench("test", base)
            if all(m in r.correct and m in r.cost_usd for m in tier_models.values())
        ]
        table = routing_table(rows)
    except ClassifierError as exc:
        warnings.append(f"RouterBench: {exc}; routing metrics skipped")
        return None

    def column(values: list[float]) -> NDArray[np.float64]:
        return np.array(values, dtype=np.float64)

    return OutcomeRows(
        texts=tuple(prompt_text(r) for r in rows),
        sources=tuple(r.source for r in rows),
        table=table,
        correct={t: column([r.correct[m] for r in rows]) for t, m in tier_models.items()},
        cost={t: column([r.cost_usd[m] for r in rows]) for t, m in tier_models.items()},
    )
