"""Weighted-vote aggregation of labeling-function votes, and the stable split.

For group g and tier t: ``mass[g, t] = sum(weight_f * conf_f[g])`` over the functions
f that voted t. ``tier_probs = mass / mass.sum()``; ``label`` = argmax (a tie goes to
the more capable tier: under-routing costs quality, over-routing only money);
``confidence = max(tier_probs) * (1 - exp(-mass.sum()))``, so one weak heuristic
vote gives a low confidence and agreeing strong votes approach 1. Groups no function
voted on are not labeled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import polars as pl

__all__ = ["Aggregation", "Aggregator", "WeightedVote", "aggregate_votes", "split_of"]


@dataclass(frozen=True)
class Aggregation:
    """Per group ``tier_probs``, ``label_index``, ``confidence``, ``voters``, ``n_votes``;
    ``report`` goes to the data card."""

    frame: pl.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


class Aggregator(Protocol):
    @property
    def name(self) -> str: ...

    def aggregate(
        self,
        votes: Mapping[str, pl.DataFrame],
        weights: Mapping[str, float],
        n_groups: int,
        n_tiers: int,
    ) -> Aggregation: ...


@dataclass(frozen=True)
class WeightedVote:
    """:func:`aggregate_votes`: each function's fixed weight times its confidence."""

    name: str = "vote"

    def aggregate(
        self,
        votes: Mapping[str, pl.DataFrame],
        weights: Mapping[str, float],
        n_groups: int,
        n_tiers: int,
    ) -> Aggregation:
        frame = aggregate_votes(votes, weights, n_groups, n_tiers)
        return Aggregation(frame, {"method": self.name, "weights": dict(weights)})


SPLIT_CUTS = ((80, "train"), (90, "val"), (100, "test"))


def aggregate_votes(
    votes: Mapping[str, pl.DataFrame], weights: Mapping[str, float], n_groups: int, n_tiers: int
) -> pl.DataFrame:
    """Columns ``tier_probs``, ``label_index``, ``confidence``, ``voters``, ``n_votes``."""
    mass = np.zeros((n_groups, n_tiers), dtype=np.float64)
    for name, frame in votes.items():
        vote = frame["vote"].to_numpy(allow_copy=True)
        conf = frame["conf"].fill_null(0.0).to_numpy()
        present = ~frame["vote"].is_null().to_numpy()
        rows = np.flatnonzero(present)
        np.add.at(mass, (rows, vote[rows].astype(np.int64)), weights.get(name, 1.0) * conf[rows])
    voters = pl.DataFrame(
        {name: frame["vote"].is_not_null() for name, frame in votes.items()}, height=n_groups
    ).select(
        pl.concat_list(pl.when(pl.col(n)).then(pl.lit(n)) for n in votes)
        .list.drop_nulls()
        .alias("voters")
        if votes
        else pl.lit([], pl.List(pl.String)).alias("voters")
    )["voters"]
    total = mass.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    probs = mass / safe[:, None]
    label = n_tiers - 1 - np.argmax(probs[:, ::-1], axis=1)
    confidence = probs.max(axis=1) * (1.0 - np.exp(-total))
    return pl.DataFrame(
        {
            "tier_probs": pl.Series(probs).cast(pl.List(pl.Float64)),
            "label_index": label.astype(np.int32),
            "confidence": confidence,
            "voters": voters,
            "n_votes": voters.list.len(),
        },
        schema={
            "tier_probs": pl.List(pl.Float64),
            "label_index": pl.Int32,
            "confidence": pl.Float64,
            "voters": pl.List(pl.String),
            "n_votes": pl.Int64,
        },
    )


def split_of(group_id: str) -> str:
    """train/val/test (80/10/10) from a salted hash of the group id: stable everywhere."""
    bucket = int(hashlib.blake2b(b"split:" + group_id.encode(), digest_size=4).hexdigest(), 16)
    bucket %= 100
    return next(name for cut, name in SPLIT_CUTS if bucket < cut)
