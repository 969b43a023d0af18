"""``tierroute train`` (default mode): fit the feature head on a label dataset, in seconds.

The shipped student stays frozen: its logits (and pooled vector) plus the prompt's
structure features are computed once per labeled prompt, and the ordinal head
(:func:`classifier.training._head_train.fit_ordinal_head`) is fitted on the ``train`` split's soft
labels with the confidence as sample weight; the regularisation strength is picked on
the ``val`` split (soft cross-entropy). The artifact is the student + ``head.json``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifier._contract import read_label_metadata
from classifier.inference import FeatureHead
from classifier.training._data import (
    label_file,
    labeled_set,
    read_label_dataset,
    resolve_label_tiers,
)
from policies import ClassifierError

__all__ = ["HEAD_BLOCKS", "QUICK_BLOCKS", "HeadTrainReport", "train_head"]

HEAD_BLOCKS = ("struct", "logits", "pooled")
QUICK_BLOCKS = ("struct", "logits")
C_GRID = (0.01, 0.1, 1.0)
QUICK_C = (0.1,)

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class HeadTrainReport:
    out_dir: Path
    version: str
    blocks: tuple[str, ...]
    c: float
    n: dict[str, int]
    val_loss: dict[float, float]
    wall_s: float
    timings: dict[str, float] = field(default_factory=dict)


def _soft_ce(probs: Floats, targets: Floats, weights: Floats) -> float:
    loss = -(targets * np.log(np.clip(probs, 1e-9, 1.0))).sum(axis=1)
    return float((loss * weights).sum() / weights.sum())


def _feature_scorer(base: Path, blocks: Sequence[str], scratch: Path) -> Any:
    """The base student, through a graph copy that exposes the pooled vector if needed."""
    from classifier.inference import OnnxComplexityScorer
    from classifier.training._head_train import expose_pooled

    if "pooled" not in blocks:
        return OnnxComplexityScorer.load(base)
    scratch.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "labels.json", "config.json"):
        (scratch / name).write_bytes((base / name).read_bytes())
    expose_pooled(base / "model.onnx", scratch / "model.onnx")
    return OnnxComplexityScorer.load(scratch)


def _fit_best(
    features: dict[str, Floats],
    sets: dict[str, Any],
    blocks: Sequence[str],
    c_grid: Sequence[float],
) -> tuple[FeatureHead, float, dict[float, float]]:
    """One head per C; the one with the lowest val soft cross-entropy (the first without val)."""
    from classifier.training._head_train import fit_ordinal_head

    train = sets["train"]
    losses: dict[float, float] = {}
    heads = {}
    for c in c_grid:
        heads[c] = fit_ordinal_head(
            features["train"], train.targets, train.weights, blocks=blocks, c=c
        )
        if "val" in sets:
            probs = heads[c].probs(features["val"])
            losses[c] = _soft_ce(probs, sets["val"].targets, sets["val"].weights)
    best = min(losses, key=lambda c: losses[c]) if losses else c_grid[0]
    return heads[best], best, losses


def train_head(
    data: Path,
    out: Path,
    *,
    base: Path | None = None,
    blocks: Sequence[str] = HEAD_BLOCKS,
    c_grid: Sequence[float] = C_GRID,
    max_examples: int | None = None,
    tiers: Sequence[str] | None = None,
) -> HeadTrainReport:
    """Fit the head on ``data`` (labels.parquet) over ``base`` (default: the shipped student).

    The head keeps the base student's tiers: labels made with another tier order (stored
    in the file, or ``tiers``, a policy's) are refused (train those with distillation)."""
    import shutil

    from classifier.inference import DEFAULT_MODEL_DIR, read_artifact_config
    from classifier.training._head_train import head_inputs, write_head_artifact

    start = time.perf_counter()
    base = Path(base or DEFAULT_MODEL_DIR)
    frame = read_label_dataset(data)
    base_tiers = read_artifact_config(base).labels
    wanted = tuple(tiers) if tiers is not None else read_label_metadata(label_file(data)).tiers
    if wanted is not None and resolve_label_tiers(data, wanted) != base_tiers:
        raise ClassifierError(
            f"{data}: tiers {list(wanted)}: the head builds on {base}, whose tiers are "
            f"{list(base_tiers)} (train another tier set with --mode distill)"
        )
    scorer = _feature_scorer(base, blocks, out / ".base")
    parts = {s: frame.filter(frame["split"] == s) for s in ("train", "val")}
    if max_examples is not None:
        parts["train"] = parts["train"].head(max_examples)
    where = f"{data} [{{}}]"
    sets = {
        s: labeled_set(f, scorer.labels, where=where.format(s))
        for s, f in parts.items()
        if f.height
    }
    if "train" not in sets or len(sets["train"]) < 10:
        raise ClassifierError(f"{data}: fewer than 10 train rows")
    features = {s: head_inputs(scorer, ls.texts, blocks) for s, ls in sets.items()}
    featurized = time.perf_counter()
    head, best, losses = _fit_best(features, sets, blocks, c_grid)
    meta = {"data": str(data), "c": best, "n_train": len(sets["train"]), "base": scorer.version}
    version = write_head_artifact(base, out, replace(head, metadata=meta))
    shutil.rmtree(out / ".base", ignore_errors=True)
    end = time.perf_counter()
    return HeadTrainReport(
        out_dir=out,
        version=version,
        blocks=tuple(blocks),
        c=best,
        n={s: len(ls) for s, ls in sets.items()},
        val_loss=losses,
        wall_s=end - start,
        timings={"features_s": featurized - start, "fit_s": end - featurized},
    )
