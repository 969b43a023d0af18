"""Training inputs: the label dataset (checked against the column contract), soft
targets and sample weights per row, and unlabeled real prompts for distillation.

polars and numpy only; torch stays in the modules that train.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from classifier._contract import REQUIRED_LABEL_COLUMNS, SPLITS, read_label_metadata
from policies import ClassifierError

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "DEFAULT_TIERS",
    "LabeledSet",
    "labeled_set",
    "read_label_dataset",
    "read_unlabeled_prompts",
    "resolve_label_tiers",
    "routerbench_label_frame",
]

DEFAULT_TIERS = ("small", "medium", "frontier")


@dataclass(frozen=True)
class LabeledSet:
    """One split as arrays: texts, soft targets ``(n, k)``, hard labels and weights."""

    texts: tuple[str, ...]
    targets: NDArray[np.float64]  # rows sum to 1, tier order
    labels: NDArray[np.int64]  # argmax tier index (the `label` column)
    weights: NDArray[np.float64]  # per-row loss weight, mean 1 over the split

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Sequence[int] | NDArray[np.int64]) -> LabeledSet:
        idx = np.asarray(index, dtype=np.int64)
        return LabeledSet(
            texts=tuple(self.texts[i] for i in idx),
            targets=self.targets[idx],
            labels=self.labels[idx],
            weights=self.weights[idx],
        )


def label_file(path: str | Path) -> Path:
    """``path``, or the ``labels.parquet`` inside it when it is a folder."""
    path = Path(path)
    return path / "labels.parquet" if path.is_dir() else path


def resolve_label_tiers(path: str | Path, tiers: Sequence[str] | None = None) -> tuple[str, ...]:
    """The tier order to train on, cheapest first: ``tiers`` (a policy's), else the order
    stored in the label file, else ``small, medium, frontier`` (files written before
    label contract 2 carry none). ``tiers`` that differ from the stored order are refused."""
    stored = read_label_metadata(label_file(path)).tiers
    if tiers is None:
        return stored or DEFAULT_TIERS
    tiers = tuple(tiers)
    if stored is not None and stored != tiers:
        raise ClassifierError(
            f"{label_file(path)}: labeled with tiers {list(stored)}, but training was asked "
            f"for {list(tiers)} (give the policy the labels were made with)"
        )
    return tiers


def read_label_dataset(path: str | Path) -> pl.DataFrame:
    """Read ``labels.parquet`` (or a directory holding it) and check the contract.

    A missing required column, an unknown split or an empty text raises
    :class:`ClassifierError` naming the file, the column and the first bad row.
    """
    import polars as pl

    path = label_file(path)
    read_label_metadata(path)  # refuses a newer contract
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ClassifierError(f"{path}: cannot read the label dataset: {exc}") from exc
    for column in REQUIRED_LABEL_COLUMNS:
        if column not in frame.columns:
            raise ClassifierError(
                f"{path}: missing column {column!r} (a label dataset needs "
                f"{', '.join(REQUIRED_LABEL_COLUMNS)}; has {', '.join(frame.columns)})"
            )
    _check_values(frame, path)
    return frame


def _check_values(frame: pl.DataFrame, path: Path) -> None:
    import polars as pl

    with_row = frame.with_row_index("_row")
    bad_split = with_row.filter(~pl.col("split").is_in(list(SPLITS)) | pl.col("split").is_null())
    if bad_split.height:
        row = bad_split.row(0, named=True)
        raise ClassifierError(
            f"{path}: row {row['_row']}: split: {row['split']!r} is not one of {list(SPLITS)}"
        )
    empty = with_row.filter(pl.col("text").is_null() | (pl.col("text").str.strip_chars() == ""))
    if empty.height:
        raise ClassifierError(f"{path}: row {empty.row(0, named=True)['_row']}: text: empty")
    if frame.filter(pl.col("split") == "train").height == 0:
        raise ClassifierError(f"{path}: split: no 'train' rows")


def labeled_set(frame: pl.DataFrame, tiers: Sequence[str], *, where: str = "labels") -> LabeledSet:
    """Targets from ``tier_probs`` when present (soft labels), else one-hot of ``label``.

    ``confidence`` (when present) becomes the sample weight, rescaled to mean 1.
    """
    tiers = tuple(tiers)
    labels_raw = frame["label"].to_list()
    unknown = sorted({str(v) for v in labels_raw if v not in tiers})
    if unknown:
        raise ClassifierError(f"{where}: label: {unknown} not among the tiers {list(tiers)}")
    labels = np.array([tiers.index(v) for v in labels_raw], dtype=np.int64)
    if "tier_probs" in frame.columns and frame["tier_probs"].null_count() < frame.height:
        targets = _soft_targets(frame, labels, len(tiers), where)
    else:
        targets = np.eye(len(tiers))[labels]
    if "confidence" in frame.columns:
        weights = frame["confidence"].fill_null(1.0).to_numpy().astype(np.float64)
        weights = np.clip(weights, 0.0, 1.0)
        weights = weights / weights.mean() if weights.sum() > 0 else np.ones(len(labels))
    else:
        weights = np.ones(len(labels))
    return LabeledSet(tuple(frame["text"].to_list()), targets, labels, weights)


def _soft_targets(
    frame: pl.DataFrame, labels: NDArray[np.int64], k: int, where: str
) -> NDArray[np.float64]:
    rows = frame["tier_probs"].to_list()
    targets = np.eye(k)[labels]  # rows without soft labels fall back to one-hot
    for i, row in enumerate(rows):
        if row is None:
            continue
        if len(row) != k:
            raise ClassifierError(f"{where}: row {i}: tier_probs: {len(row)} values for {k} tiers")
        probs = np.clip(np.asarray(row, dtype=np.float64), 0.0, None)
        if probs.sum() <= 0:
            raise ClassifierError(f"{where}: row {i}: tier_probs: all zero")
        targets[i] = probs / probs.sum()
    return targets


def read_unlabeled_prompts(
    data_dir: Path, max_prompts: int, seed: int = 0, max_chars: int = 20_000
) -> list[str]:
    """Real prompts without labels (ShareGPT first turns, Arena-Hard v0.1 and v2.0).

    All Arena-Hard prompts are kept (they are the hard end of real traffic); ShareGPT
    fills the rest of ``max_prompts``, sampled with ``seed``. Missing files are skipped.
    """
    hard: list[str] = []
    for name in ("arena-hard-v0.1_question.jsonl", "arena-hard-v2.0_question.jsonl"):
        hard += _jsonl_prompts(data_dir / "arena_hard_questions" / name, max_chars)
    sharegpt = _jsonl_prompts(
        data_dir / "sharegpt_prompts" / "sharegpt_v3_first_turn_prompts.jsonl", max_chars
    )
    rng = np.random.default_rng(seed)
    hard = [hard[i] for i in rng.permutation(len(hard))][:max_prompts]
    room = max(0, max_prompts - len(hard))
    picked = [sharegpt[i] for i in rng.permutation(len(sharegpt))[:room]]
    return hard + picked


def _jsonl_prompts(path: Path, max_chars: int) -> list[str]:
    if not path.is_file():
        return []
    out: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                prompt = json.loads(line).get("prompt")
            except (json.JSONDecodeError, AttributeError) as exc:
                raise ClassifierError(f"{path}:{line_no}: not a JSON object") from exc
            if isinstance(prompt, str) and prompt.strip():
                out.append(prompt[:max_chars])
    return out


def routerbench_label_frame(data_dir: Path | None = None, val_share: float = 0.15) -> pl.DataFrame:
    """A contract-shaped label frame from RouterBench alone (the fallback for ``make model``).

    Label: the cheapest of mistral-7b (small), mixtral-8x7b (medium), GPT-4-1106
    (frontier) that answered correctly (small when none did), one-hot. RouterBench's
    own test CSVs become ``test``; its train CSVs split into train/val by a hash of the
    prompt, so the split is stable across runs and machines.
    """
    import polars as pl

    from classifier._routerbench import cheapest_sufficient_tier, read_routerbench

    rows = []
    for split in ("train", "test"):
        for r in read_routerbench(split, data_dir):
            group_id = hashlib.blake2b(r.prompt.encode(), digest_size=8).hexdigest()
            tier = cheapest_sufficient_tier(r)
            bucket = int(group_id[:8], 16) % 1000 / 1000
            rows.append(
                {
                    "group_id": group_id,
                    "text": r.prompt,
                    "label": tier,
                    "label_index": DEFAULT_TIERS.index(tier),
                    "confidence": 1.0,
                    "tier_probs": [float(t == tier) for t in DEFAULT_TIERS],
                    "source": f"routerbench/{r.source}",
                    "split": split
                    if split == "test"
                    else ("val" if bucket < val_share else "train"),
                }
            )
    return pl.DataFrame(rows).unique("group_id", keep="first", maintain_order=True)
