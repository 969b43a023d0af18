"""What a training run reports: per-split scores, parity, timings (no training imports)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from classifier.training._export import ParityReport

__all__ = ["SplitScores", "TrainingReport"]


@dataclass(frozen=True)
class SplitScores:
    """Accuracy, macro-F1 and ECE of one model on one split."""

    n: int
    accuracy: float
    macro_f1: float
    ece: float
    majority_accuracy: float


@dataclass(frozen=True)
class TrainingReport:
    out_dir: Path
    version: str
    data: Path
    wall_s: float
    temperature: float
    teacher_temperature: float
    parity: ParityReport
    scores: Mapping[str, Mapping[str, SplitScores]]  # model -> split -> scores
    counts: Mapping[str, Mapping[str, int]]  # split -> source -> rows
    n_unlabeled: int
    timings: Mapping[str, float]
    params: Mapping[str, Any]
    history: Mapping[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        """Flat ``{model}_{split}_{metric}`` numbers (for MLflow ``log_metrics``)."""
        out: dict[str, float] = {
            "temperature": self.temperature,
            "wall_s": self.wall_s,
            "parity_argmax_agreement": self.parity.argmax_agreement,
            "parity_max_prob_diff": self.parity.max_prob_diff,
        }
        for model, splits in self.scores.items():
            for split, s in splits.items():
                for name in ("accuracy", "macro_f1", "ece"):
                    out[f"{model}_{split}_{name}"] = float(getattr(s, name))
        return out
