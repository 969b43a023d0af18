"""A small learned label model over the labeling functions' votes (``--aggregate model``).

The outcome-based function (``outcome``: the cheapest tier whose model answered
correctly, when several tiers were tried on the prompt) is the most trustworthy signal
but covers few groups. The label model learns, on the groups it covers, how the other
functions' votes predict it: a multinomial logistic regression (scikit-learn) on the
vote matrix (one indicator per function and voted tier, times the vote's confidence),
then labels the groups it does not cover. Groups the outcome function voted on keep
the weighted vote (which the outcome dominates).

Learned weights are reported per function: the mean coefficient that a vote for tier t
adds to the logit of t (how much the model trusts a function's votes, on the scale of
log-odds), plus the full coefficient matrix. With too little training data (fewer than
:data:`MIN_TRAIN` groups or a single outcome class) the model is not fitted and the
weighted vote is used, with the reason in the report; likewise when the fitted model is
not :data:`MIN_GAIN` more accurate (5-fold CV, against the anchor) than always answering
the anchor's commonest tier: the other functions then carry no signal it could learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from labeling._aggregate import Aggregation, Aggregator, WeightedVote, aggregate_votes

__all__ = ["AGGREGATORS", "MIN_GAIN", "MIN_TRAIN", "LabelModel", "vote_matrix"]

MIN_TRAIN = 20
MIN_GAIN = 0.01  # CV accuracy the model must add over the commonest tier to be used


def vote_matrix(votes: Mapping[str, pl.DataFrame], names: list[str], n_tiers: int) -> np.ndarray:
    """``(n_groups, len(names) * n_tiers)``: conf at (function, voted tier), else 0."""
    n_groups = next(iter(votes.values())).height if votes else 0
    matrix = np.zeros((n_groups, len(names) * n_tiers), dtype=np.float64)
    for j, name in enumerate(names):
        frame = votes[name]
        rows = np.flatnonzero(frame["vote"].is_not_null().to_numpy())
        tier = frame["vote"].to_numpy(allow_copy=True)[rows].astype(np.int64)
        conf = frame["conf"].fill_null(0.0).to_numpy()[rows]
        matrix[rows, j * n_tiers + tier] = conf
    return matrix


@dataclass(frozen=True)
class LabelModel:
    """Logistic regression from the other functions' votes to the ``anchor`` function's."""

    name: str = "model"
    anchor: str = "outcome"
    regularization: float = 1.0

    def aggregate(
        self,
        votes: Mapping[str, pl.DataFrame],
        weights: Mapping[str, float],
        n_groups: int,
        n_tiers: int,
    ) -> Aggregation:
        voted = aggregate_votes(votes, weights, n_groups, n_tiers)
        report: dict[str, Any] = {"method": self.name, "anchor": self.anchor}
        names = [n for n in votes if n != self.anchor]
        if self.anchor not in votes or not names:
            return Aggregation(voted, report | {"fitted": False, "reason": "no anchor function"})
        target = votes[self.anchor]["vote"]
        train = np.flatnonzero(target.is_not_null().to_numpy())
        y = target.to_numpy(allow_copy=True)[train].astype(np.int64)
        report |= {"trained_on": int(train.size), "classes": np.unique(y).tolist()}
        if train.size < MIN_TRAIN or np.unique(y).size < 2:
            reason = f"needs >= {MIN_TRAIN} anchor votes over >= 2 tiers"
            return Aggregation(voted, report | {"fitted": False, "reason": reason})
        x = vote_matrix(votes, names, n_tiers)
        model = self._fit(x[train], y)
        report |= {
            "fitted": True,
            **_weights_report(model, names, n_tiers),
            **_quality(x[train], y, self),
        }
        if report.get("cv_accuracy", 1.0) < report["majority_share"] + MIN_GAIN:
            reason = "no better than always the commonest tier in 5-fold CV"
            return Aggregation(voted, report | {"used": False, "reason": reason})
        report["used"] = True
        probs = np.zeros((n_groups, n_tiers))
        probs[:, model.classes_] = model.predict_proba(x)
        return Aggregation(_relabel(voted, probs, train), report)

    def _fit(self, x: np.ndarray, y: np.ndarray) -> Any:
        return self.estimator().fit(x, y)

    def estimator(self) -> Any:
        """The unfitted scikit-learn estimator (imported only when the model is used)."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.regularization, max_iter=1000)


def _relabel(voted: pl.DataFrame, probs: np.ndarray, anchored: np.ndarray) -> pl.DataFrame:
    """The model's probabilities where the anchor did not vote (and something else did)."""
    use = voted["n_votes"].to_numpy() > 0
    use[anchored] = False
    current = np.array(voted["tier_probs"].to_list(), dtype=np.float64).reshape(probs.shape)
    confidence = voted["confidence"].to_numpy().copy()
    current[use] = probs[use]
    confidence[use] = probs[use].max(axis=1)
    n_tiers = probs.shape[1]
    label = n_tiers - 1 - np.argmax(current[:, ::-1], axis=1)
    return voted.with_columns(
        pl.Series("tier_probs", current).cast(pl.List(pl.Float64)),
        pl.Series("label_index", label.astype(np.int32)),
        pl.Series("confidence", confidence),
    )


def _weights_report(model: Any, names: list[str], n_tiers: int) -> dict[str, Any]:
    coef = np.zeros((n_tiers, len(names) * n_tiers))
    rows = model.coef_
    if len(model.classes_) == 2:  # binary: one row, the log-odds of the second class
        rows = np.vstack([-rows[0] / 2, rows[0] / 2])
    coef[model.classes_] = rows
    per_function = {}
    for j, name in enumerate(names):
        diagonal = [coef[t, j * n_tiers + t] for t in model.classes_]
        per_function[name] = round(float(np.mean(diagonal)), 4)
    matrix = {
        name: {f"vote_{t}": coef[:, j * n_tiers + t].round(4).tolist() for t in range(n_tiers)}
        for j, name in enumerate(names)
    }
    return {"learned_weights": per_function, "coefficients": matrix}


def _quality(x: np.ndarray, y: np.ndarray, model: LabelModel) -> dict[str, Any]:
    """5-fold accuracy against the anchor, next to always guessing its commonest tier."""
    counts = np.bincount(y)
    majority = float(counts.max() / y.size)
    if counts[counts > 0].min() < 5:
        return {"majority_share": round(majority, 4)}
    from sklearn.model_selection import cross_val_score

    scores = cross_val_score(model.estimator(), x, y, cv=5)
    return {"cv_accuracy": round(float(scores.mean()), 4), "majority_share": round(majority, 4)}


AGGREGATORS: dict[str, Aggregator] = {a.name: a for a in (WeightedVote(), LabelModel())}
