"""Classification metrics of a tier classifier on held-out labels (numpy only).

Accuracy, macro-F1, per-tier precision / recall / F1, expected calibration error
(:func:`classifier.inference._calibration.expected_calibration_error`), the confusion matrix and
the reliability-diagram bins. Conventions follow scikit-learn: a precision or recall
whose denominator is zero counts as 0, and macro-F1 averages over the tiers that occur
in the truth or in the predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from classifier.inference import expected_calibration_error
from policies import ClassifierError

__all__ = [
    "ClassificationMetrics",
    "ReliabilityBins",
    "TierMetrics",
    "classification_metrics",
    "reliability_bins",
]


@dataclass(frozen=True)
class TierMetrics:
    """Precision, recall and F1 of one tier, and how many test rows carry it."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ReliabilityBins:
    """Top-label confidence vs accuracy per equal-width confidence bin (empty bins kept)."""

    edges: tuple[float, ...]  # n_bins + 1
    confidence: tuple[float, ...]  # mean confidence per bin (nan when empty)
    accuracy: tuple[float, ...]  # accuracy per bin (nan when empty)
    count: tuple[int, ...]


@dataclass(frozen=True)
class ClassificationMetrics:
    labels: tuple[str, ...]
    n: int
    accuracy: float
    macro_f1: float
    ece: float
    per_tier: tuple[tuple[str, TierMetrics], ...]  # in tier order
    confusion: tuple[tuple[int, ...], ...]  # rows: true tier, columns: predicted tier
    majority_accuracy: float  # accuracy of always answering the most frequent true tier

    def tier(self, name: str) -> TierMetrics:
        for label, metrics in self.per_tier:
            if label == name:
                return metrics
        raise ClassifierError(f"tier {name!r} is not among {list(self.labels)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "ece": self.ece,
            "majority_accuracy": self.majority_accuracy,
            "per_tier": {label: asdict(m) for label, m in self.per_tier},
            "confusion": [list(row) for row in self.confusion],
        }


def _check(probs: ArrayLike, truth: ArrayLike, labels: Sequence[str]) -> tuple[Any, Any]:
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(truth)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] != len(labels):
        raise ClassifierError(
            f"probs: expected a non-empty (n, {len(labels)}) array for tiers {list(labels)}, "
            f"got shape {p.shape}"
        )
    if y.shape != (p.shape[0],):
        raise ClassifierError(f"truth: shape {y.shape} does not match {p.shape[0]} rows of probs")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= len(labels):
        raise ClassifierError(f"truth: expected tier indices in [0, {len(labels)}), got {y[:5]}")
    return p, y.astype(np.int64)


def confusion_matrix(
    truth: NDArray[np.int64], predicted: NDArray[np.int64], n_labels: int
) -> NDArray[np.int64]:
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def classification_metrics(
    probs: ArrayLike, truth: ArrayLike, labels: Sequence[str], *, n_bins: int = 15
) -> ClassificationMetrics:
    """Metrics of tier probabilities ``probs`` (n, k) against true tier indices ``truth``."""
    p, y = _check(probs, truth, labels)
    predicted = p.argmax(axis=1)
    matrix = confusion_matrix(y, predicted, len(labels))
    per_tier = []
    f1s = []
    for i, label in enumerate(labels):
        hits = float(matrix[i, i])
        precision = _ratio(hits, float(matrix[:, i].sum()))
        recall = _ratio(hits, float(matrix[i, :].sum()))
        f1 = _ratio(2 * precision * recall, precision + recall)
        per_tier.append((label, TierMetrics(precision, recall, f1, int(matrix[i, :].sum()))))
        if matrix[i, :].sum() or matrix[:, i].sum():
            f1s.append(f1)
    return ClassificationMetrics(
        labels=tuple(labels),
        n=int(len(y)),
        accuracy=float((predicted == y).mean()),
        macro_f1=float(np.mean(f1s)),
        ece=expected_calibration_error(p, y, n_bins),
        per_tier=tuple(per_tier),
        confusion=tuple(tuple(int(v) for v in row) for row in matrix),
        majority_accuracy=float(np.bincount(y, minlength=len(labels)).max() / len(y)),
    )


def reliability_bins(probs: ArrayLike, truth: ArrayLike, *, n_bins: int = 15) -> ReliabilityBins:
    """Top-label reliability diagram data, binned like the ECE (equal-width bins)."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(truth, dtype=np.int64)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    conf, acc, count = [], [], []
    for b in range(n_bins):
        in_bin = bins == b
        count.append(int(in_bin.sum()))
        conf.append(float(confidence[in_bin].mean()) if in_bin.any() else float("nan"))
        acc.append(float(correct[in_bin].mean()) if in_bin.any() else float("nan"))
    edges = tuple(float(e) for e in np.linspace(0.0, 1.0, n_bins + 1))
    return ReliabilityBins(edges, tuple(conf), tuple(acc), tuple(count))
