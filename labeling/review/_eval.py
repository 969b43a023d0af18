"""One version's numbers in a review, and where champion and challenger disagree.

Tiers are the router's: each prompt goes through ``Router(policy, scorer)``, so the
policy's thresholds, override rules and cost tables apply as they do in serving.
Expected cost per 1k requests = 1000 x the mean of ``Decision.est_cost_usd``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from classifier import ComplexityScorer
from classifier.evaluation import (
    ClassificationMetrics,
    RoutingCurve,
    RoutingSummary,
    classification_metrics,
    routing_curve,
    strong_scores,
    summarize_routing,
)
from labeling.review._data import Mask, ReviewData
from policies import Policy
from router import Router

__all__ = ["Disagreement", "SliceStats", "VersionEval", "disagreements", "evaluate_version"]

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class SliceStats:
    n: int
    accuracy: float
    top_share: float  # share of the slice routed to the top tier
    cost_per_1k: float


@dataclass(frozen=True)
class VersionEval:
    """A registered version's review numbers (``version`` is the registry's number)."""

    role: str  # champion | challenger
    version: str
    classifier_version: str
    classification: ClassificationMetrics
    routing: RoutingSummary | None
    curve: RoutingCurve | None
    tier_share: dict[str, float]
    cost_per_1k: float
    latency_ms: tuple[float, float]  # p50, p99 of one prompt
    slices: dict[str, SliceStats]
    tiers: Ints  # policy tier index per labeled row
    costs: Floats  # estimated USD per labeled row
    outcome_tiers: Ints | None  # policy tier index per RouterBench row

    @property
    def apgr(self) -> float | None:
        return self.routing.apgr if self.routing is not None else None


def _route(router: Router, texts: Sequence[str], policy: Policy) -> tuple[Ints, Floats]:
    decisions = router.route_batch(list(texts))
    index = {name: i for i, name in enumerate(policy.tier_names)}
    tiers = np.array([index[d.tier] for d in decisions], dtype=np.int64)
    return tiers, np.array([d.est_cost_usd for d in decisions], dtype=np.float64)


def evaluate_version(
    scorer: ComplexityScorer,
    role: str,
    version: str,
    data: ReviewData,
    policy: Policy,
    masks: dict[str, Mask],
    latency_ms: tuple[float, float],
) -> VersionEval:
    """Classification on the labeled rows, routing on RouterBench, tiers and cost, slices."""
    probs = scorer.score(data.texts)
    metrics = classification_metrics(probs, data.truth, data.labels)
    router = Router(policy, scorer)
    tiers, costs = _route(router, data.texts, policy)
    correct = np.argmax(probs, axis=1) == data.truth
    top = len(policy.tier_names) - 1
    routing = curve = outcome_tiers = None
    if data.outcomes is not None:
        rb_probs = scorer.score(data.outcomes.texts)
        curve = routing_curve(strong_scores(rb_probs, "frontier"), data.outcomes.table)
        routing = summarize_routing(curve)
        outcome_tiers, _ = _route(router, data.outcomes.texts, policy)
    slices = {
        name: SliceStats(
            n=int(mask.sum()),
            accuracy=float(correct[mask].mean()),
            top_share=float((tiers[mask] == top).mean()),
            cost_per_1k=float(costs[mask].mean() * 1000),
        )
        for name, mask in masks.items()
    }
    share = {name: float((tiers == i).mean()) for i, name in enumerate(policy.tier_names)}
    return VersionEval(
        role=role,
        version=version,
        classifier_version=scorer.version,
        classification=metrics,
        routing=routing,
        curve=curve,
        tier_share=share,
        cost_per_1k=float(costs.mean() * 1000),
        latency_ms=latency_ms,
        slices=slices,
        tiers=tiers,
        costs=costs,
        outcome_tiers=outcome_tiers,
    )


def scorer_latencies(
    scorers: Sequence[ComplexityScorer], texts: Sequence[str], n: int = 200, seed: int = 0
) -> list[tuple[float, float]]:
    """p50/p99 ms of scoring one prompt, per scorer; the scorers take turns per prompt so
    that load on the machine falls on both alike."""
    if not texts or n <= 0:
        return [(float("nan"), float("nan"))] * len(scorers)
    pick = np.random.default_rng(seed).choice(len(texts), size=min(n, len(texts)), replace=False)
    for scorer in scorers:  # warm-up: sessions, caches
        for i in pick[:5]:
            scorer.score([texts[int(i)]])
    times: list[list[float]] = [[] for _ in scorers]
    for i in pick:
        for k, scorer in enumerate(scorers):
            t0 = time.perf_counter()
            scorer.score([texts[int(i)]])
            times[k].append((time.perf_counter() - t0) * 1000)
    return [(float(np.percentile(t, 50)), float(np.percentile(t, 99))) for t in times]


@dataclass(frozen=True)
class Disagreement:
    """A prompt the two versions route to different tiers, and what happened there."""

    dataset: str  # labels | routerbench
    text: str
    source: str
    champion_tier: str
    challenger_tier: str
    direction: str  # cheaper | dearer: the challenger's tier relative to the champion's
    outcome: str  # the label, or which tiers' models answered correctly
    verdict: str  # challenger better | champion better | both insufficient
    cost_delta_usd: float  # challenger minus champion for this request
    tier_gap: int


def _verdict(champion_ok: bool, challenger_ok: bool, challenger_cheaper: bool) -> str:
    if champion_ok and challenger_ok:
        return "challenger better" if challenger_cheaper else "champion better"
    if champion_ok != challenger_ok:
        return "challenger better" if challenger_ok else "champion better"
    return "both insufficient"


def _labeled(
    champion: VersionEval, challenger: VersionEval, data: ReviewData, tiers: tuple[str, ...]
) -> list[Disagreement]:
    out = []
    for i in np.flatnonzero(champion.tiers != challenger.tiers):
        a, b, label = int(champion.tiers[i]), int(challenger.tiers[i]), int(data.truth[i])
        out.append(
            Disagreement(
                dataset="labels",
                text=data.texts[i],
                source=data.sources[i],
                champion_tier=tiers[a],
                challenger_tier=tiers[b],
                direction="cheaper" if b < a else "dearer",
                outcome=f"label {data.labels[label]}",
                verdict=_verdict(a >= label, b >= label, b < a),
                cost_delta_usd=float(challenger.costs[i] - champion.costs[i]),
                tier_gap=abs(a - b),
            )
        )
    return out


def _outcomes(
    champion: VersionEval, challenger: VersionEval, data: ReviewData, tiers: tuple[str, ...]
) -> list[Disagreement]:
    rows = data.outcomes
    if rows is None or champion.outcome_tiers is None or challenger.outcome_tiers is None:
        return []
    out = []
    for i in np.flatnonzero(champion.outcome_tiers != challenger.outcome_tiers):
        a, b = tiers[int(champion.outcome_tiers[i])], tiers[int(challenger.outcome_tiers[i])]
        ok = {t: bool(rows.correct[t][i] >= 0.5) for t in rows.correct if t in tiers}
        cost = {t: float(rows.cost[t][i]) for t in rows.cost}
        delta = cost.get(b, float("nan")) - cost.get(a, float("nan"))
        gap = int(challenger.outcome_tiers[i]) - int(champion.outcome_tiers[i])
        out.append(
            Disagreement(
                dataset="routerbench",
                text=rows.texts[i],
                source=rows.sources[i],
                champion_tier=a,
                challenger_tier=b,
                direction="cheaper" if gap < 0 else "dearer",
                outcome=" ".join(f"{t}{'✓' if v else '✗'}" for t, v in ok.items()),
                verdict=_verdict(ok.get(a, False), ok.get(b, False), gap < 0),
                cost_delta_usd=delta,
                tier_gap=abs(gap),
            )
        )
    return out


def disagreements(
    champion: VersionEval,
    challenger: VersionEval,
    data: ReviewData,
    tiers: tuple[str, ...],
    limit: int = 50,
) -> list[Disagreement]:
    """The ``limit`` most consequential disagreements: the widest tier gaps, then the
    largest cost differences; half where the challenger goes cheaper, half dearer (the
    rest filled from whichever side has more)."""
    found = _labeled(champion, challenger, data, tiers) + _outcomes(
        champion, challenger, data, tiers
    )
    found.sort(key=lambda d: (-d.tier_gap, -abs(np.nan_to_num(d.cost_delta_usd))))
    cheaper = [d for d in found if d.direction == "cheaper"]
    dearer = [d for d in found if d.direction == "dearer"]
    half = limit // 2
    picked = cheaper[:half] + dearer[:half]
    rest = cheaper[half:] + dearer[half:]
    rest.sort(key=lambda d: (-d.tier_gap, -abs(np.nan_to_num(d.cost_delta_usd))))
    picked += rest[: limit - len(picked)]
    picked.sort(key=lambda d: (-d.tier_gap, -abs(np.nan_to_num(d.cost_delta_usd))))
    return picked
