"""Routing quality on data with per-model outcomes: PGR curve, APGR, CPT (RouteLLM).

A binary router between a strong and a weak model sends a request to the strong model
when its *strong-score* clears a threshold. Sweeping the threshold from +inf to -inf
moves the share of strong calls ``x`` from 0 (weak only) to 1 (strong only). For each
``x``: quality = mean correctness of the answers the routed models gave, cost = summed
USD of those answers, and the performance gap recovered is

    PGR(x) = (quality(x) - quality_weak) / (quality_strong - quality_weak).

APGR is the area under PGR(x) on [0, 1]; CPT(p) is the smallest share of strong calls
with PGR >= p (Ong et al. 2024, "RouteLLM", section 5.1).

Ties: requests with equal strong-scores cannot be separated by a threshold, so the
curve only has points at the ends of tie blocks and is linear in between, which is the
expected curve under a random order inside each block. A constant score therefore
traces the straight line from (0, 0) to (1, 1): the random router, APGR = 0.5.
The curve is piecewise linear, so its area is computed exactly (the fine-grid limit).

Prompt view: RouterBench's ARC-Challenge and Winogrande prompts are 5-shot, the same
demonstrations in every row followed by the question. The ``question`` view (default)
scores the last block only, the question asked, as the labels dataset stores it;
``full`` scores the whole 5-shot prompt. MBPP prompts are single-shot and kept whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from classifier._routerbench import RouterBenchRow, read_routerbench
from policies import ClassifierError

__all__ = [
    "PROMPT_VIEWS",
    "ROUTING_STRONG_MODEL",
    "ROUTING_WEAK_MODEL",
    "RoutingCurve",
    "RoutingSummary",
    "RoutingTable",
    "apgr",
    "cpt",
    "load_routerbench_table",
    "oracle_strong_score",
    "prompt_text",
    "random_router_apgr",
    "routing_curve",
    "routing_table",
    "strong_scores",
    "summarize_routing",
]

ROUTING_STRONG_MODEL = "gpt-4-1106-preview"
ROUTING_WEAK_MODEL = "mistralai/mixtral-8x7b-chat"
CPT_TARGETS = (0.5, 0.8)
PROMPT_VIEWS = ("question", "full")

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class RoutingTable:
    """Per-request outcomes (0..1) and USD costs of the strong and the weak model."""

    prompts: tuple[str, ...]
    sources: tuple[str, ...]
    strong_correct: Floats
    weak_correct: Floats
    strong_cost: Floats
    weak_cost: Floats
    strong_model: str = ROUTING_STRONG_MODEL
    weak_model: str = ROUTING_WEAK_MODEL
    dropped: int = 0  # rows without an outcome or a cost for one of the two models
    view: str = "full"  # which text of each row ``prompts`` holds (PROMPT_VIEWS)

    def __post_init__(self) -> None:
        n = len(self.prompts)
        for name in ("strong_correct", "weak_correct", "strong_cost", "weak_cost"):
            if np.asarray(getattr(self, name)).shape != (n,):
                raise ClassifierError(f"routing table: {name} must have one value per prompt")
        if n == 0:
            raise ClassifierError("routing table: no rows")

    @property
    def n(self) -> int:
        return len(self.prompts)

    @property
    def strong_quality(self) -> float:
        return float(np.mean(self.strong_correct))

    @property
    def weak_quality(self) -> float:
        return float(np.mean(self.weak_correct))


def prompt_text(row: RouterBenchRow, view: str = "question") -> str:
    """The text a router scores for ``row`` (see "Prompt view" in the module docstring)."""
    if view not in PROMPT_VIEWS:
        raise ClassifierError(f"prompt view {view!r}: expected one of {list(PROMPT_VIEWS)}")
    if view == "full" or row.source == "mbpp":
        return row.prompt.strip()
    blocks = [b for b in row.prompt.split("\n\n") if b.strip()]
    return blocks[-1].strip() if blocks else row.prompt.strip()


def routing_table(
    rows: Iterable[RouterBenchRow],
    strong: str = ROUTING_STRONG_MODEL,
    weak: str = ROUTING_WEAK_MODEL,
    view: str = "question",
) -> RoutingTable:
    """Keep the rows where both models have an outcome and a cost."""
    kept: list[RouterBenchRow] = []
    dropped = 0
    for row in rows:
        if all(m in row.correct and m in row.cost_usd for m in (strong, weak)):
            kept.append(row)
        else:
            dropped += 1
    if not kept:
        raise ClassifierError(f"no row has outcomes and costs for both {strong!r} and {weak!r}")

    def column(values: Iterable[float]) -> Floats:
        return np.fromiter(values, dtype=np.float64, count=len(kept))

    return RoutingTable(
        prompts=tuple(prompt_text(r, view) for r in kept),
        sources=tuple(r.source for r in kept),
        strong_correct=column(r.correct[strong] for r in kept),
        weak_correct=column(r.correct[weak] for r in kept),
        strong_cost=column(r.cost_usd[strong] for r in kept),
        weak_cost=column(r.cost_usd[weak] for r in kept),
        strong_model=strong,
        weak_model=weak,
        dropped=dropped,
        view=view,
    )


def load_routerbench_table(
    split: str = "test",
    data_dir: Path | None = None,
    strong: str = ROUTING_STRONG_MODEL,
    weak: str = ROUTING_WEAK_MODEL,
    view: str = "question",
) -> RoutingTable:
    """RouterBench rows of ``split`` (``data_dir/routerbench/*_{split}.csv``) as a table."""
    return routing_table(read_routerbench(split, data_dir), strong, weak, view)


@dataclass(frozen=True)
class RoutingCurve:
    """Points of the routing sweep; linear in between (see the module docstring)."""

    strong_share: Floats  # x, from 0 to 1
    quality: Floats  # mean correctness of the routed answers
    cost: Floats  # summed USD of the routed answers
    pgr: Floats

    def at(self, shares: ArrayLike) -> tuple[Floats, Floats, Floats]:
        """(quality, cost, pgr) interpolated at the given strong-call shares."""
        x = np.asarray(shares, dtype=np.float64)
        return (
            np.interp(x, self.strong_share, self.quality),
            np.interp(x, self.strong_share, self.cost),
            np.interp(x, self.strong_share, self.pgr),
        )


def routing_curve(strong_score: ArrayLike, table: RoutingTable) -> RoutingCurve:
    """Sweep a threshold over ``strong_score`` (higher = send to the strong model)."""
    score = np.asarray(strong_score, dtype=np.float64)
    if score.shape != (table.n,):
        raise ClassifierError(
            f"strong_score: expected one score per routing row ({table.n}), got {score.shape}"
        )
    if not np.all(np.isfinite(score)):
        raise ClassifierError("strong_score: contains nan or inf")
    gap = table.strong_quality - table.weak_quality
    if abs(gap) < 1e-12:
        raise ClassifierError(
            f"{table.strong_model} and {table.weak_model} have the same quality "
            f"({table.strong_quality:.4f}): PGR is undefined"
        )
    order = np.argsort(-score, kind="stable")
    sorted_score = score[order]
    gain = np.concatenate(
        [[0.0], np.cumsum(table.strong_correct[order] - table.weak_correct[order])]
    )
    extra = np.concatenate([[0.0], np.cumsum(table.strong_cost[order] - table.weak_cost[order])])
    # a threshold can stop only where the score changes: after each tie block
    block_end = np.flatnonzero(np.diff(sorted_score) != 0) + 1
    k = np.concatenate([[0], block_end, [table.n]])
    quality = (table.weak_correct.sum() + gain[k]) / table.n
    return RoutingCurve(
        strong_share=k / table.n,
        quality=quality,
        cost=table.weak_cost.sum() + extra[k],
        pgr=(quality - table.weak_quality) / gap,
    )


def apgr(curve: RoutingCurve) -> float:
    """Area under PGR(x) on [0, 1] (exact for the piecewise-linear curve)."""
    x, y = curve.strong_share, curve.pgr
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


def share_reaching(share: Floats, value: Floats, target: float) -> float:
    """Smallest strong-call share at which the piecewise-linear ``value(share)`` reaches
    ``target`` (interpolated between the curve's points); nan when it never does."""
    reached = np.flatnonzero(value >= target - 1e-12)
    if reached.size == 0:
        return float("nan")
    i = int(reached[0])
    if i == 0:
        return float(share[0])
    x0, x1, v0, v1 = share[i - 1], share[i], value[i - 1], value[i]
    return float(x0 + (target - v0) / (v1 - v0) * (x1 - x0))


def cpt(curve: RoutingCurve, target: float) -> float:
    """Smallest share of strong calls at which PGR reaches ``target`` (e.g. 0.5); nan
    cannot happen for target <= 1, since PGR(1) = 1."""
    return share_reaching(curve.strong_share, curve.pgr, target)


@dataclass(frozen=True)
class RoutingSummary:
    apgr: float
    cpt50: float
    cpt80: float
    cost_at_cpt50: float  # summed USD over the table when routing at CPT(50 %)
    cost_at_cpt80: float  # (quality there is fixed by the definition: weak + p x gap)

    def to_dict(self) -> dict[str, float]:
        return {
            "apgr": self.apgr,
            "cpt50": self.cpt50,
            "cpt80": self.cpt80,
            "cost_at_cpt50": self.cost_at_cpt50,
            "cost_at_cpt80": self.cost_at_cpt80,
        }


def summarize_routing(curve: RoutingCurve) -> RoutingSummary:
    share50, share80 = cpt(curve, 0.5), cpt(curve, 0.8)
    _, cost, _ = curve.at([share50, share80])
    return RoutingSummary(
        apgr=apgr(curve),
        cpt50=share50,
        cpt80=share80,
        cost_at_cpt50=float(cost[0]),
        cost_at_cpt80=float(cost[1]),
    )


def strong_scores(probs: ArrayLike, mode: str = "frontier") -> Floats:
    """A tier classifier's strong-score: P(top tier), or the expected tier in [0, 1].

    ``frontier``: probability that the top tier is the cheapest sufficient one.
    ``complexity``: ``sum_i p_i * i / (k - 1)``, the expected ordinal position.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ClassifierError(f"probs: expected an (n, k >= 2) array, got shape {p.shape}")
    if mode == "frontier":
        return p[:, -1].copy()
    if mode == "complexity":
        out: Floats = p @ np.linspace(0.0, 1.0, p.shape[1])
        return out
    raise ClassifierError(f"strong-score mode {mode!r}: expected 'frontier' or 'complexity'")


def oracle_strong_score(table: RoutingTable) -> Floats:
    """Strong first where only it is right, last where only the weak one is right."""
    out: Floats = table.strong_correct - table.weak_correct
    return out


def random_router_apgr(table: RoutingTable, *, seeds: Sequence[int] = range(20)) -> float:
    """Mean APGR of routers with random strong-scores (expected 0.5): a sanity line."""
    values = [
        apgr(routing_curve(np.random.default_rng(seed).random(table.n), table)) for seed in seeds
    ]
    return float(np.mean(values))


def curve_points(curve: RoutingCurve, n_points: int = 101) -> dict[str, Any]:
    """The curve sampled on an even grid of strong-call shares, for JSON reports."""
    grid = np.linspace(0.0, 1.0, n_points)
    quality, cost, pgr = curve.at(grid)
    return {
        "strong_share": [round(float(v), 4) for v in grid],
        "quality": [round(float(v), 5) for v in quality],
        "cost_usd": [round(float(v), 6) for v in cost],
        "pgr": [round(float(v), 5) for v in pgr],
    }
