"""Offline replay: re-route logged prompts with a policy and a scorer; estimate the outcome.

Each prompt is scored once. For a threshold policy the final tier is a function of the
tier the strategy picks (objective caps, override rules, try-cheaper-first and the
deployment fit come after it and do not depend on the thresholds), so the prompts are
routed once per strategy tier with the real :class:`router.Router` and any threshold
setting is then evaluated without routing again: ``final[i] = by_strategy[i, s_i]``
where ``s_i`` is the threshold tier of the prompt's complexity. Calibration uses the
same tables. Sticky conversations (``policy.conversations``) are applied on top, in
log order, with the same rule as serving (:func:`router.sticky_floor`).

Cost and latency are estimated from the policy tables with the logged tokens (the
tier's ``expected_output_tokens`` when a log has no completion tokens). Quality is
counted only where the (prompt, tier) outcome is known; coverage is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labeling.replay._logs import ReplayLog
from policies import LabelingError, Policy
from router import ComplexityScorer, Decision, Router

__all__ = ["RoutedLog", "frontier_thresholds", "route_log", "summarize_assignment"]

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


class _MemoScorer:
    """Scores each distinct text once, however many times the router asks."""

    def __init__(self, inner: ComplexityScorer) -> None:
        self.inner = inner
        self._cache: dict[str, Floats] = {}
        self.last_texts: list[str] = []

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def labels(self) -> tuple[str, ...]:
        return self.inner.labels

    def score(self, texts: Sequence[str]) -> Floats:
        self.last_texts = list(texts)
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            scores = np.asarray(self.inner.score(todo), dtype=np.float64)
            self._cache.update(zip(todo, scores, strict=True))
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 0))


@dataclass(frozen=True)
class RoutedLog:
    """A log routed with one policy and scorer, ready to evaluate any thresholds."""

    log: ReplayLog
    policy: Policy
    complexity: Floats  # (n,)
    by_strategy: Ints  # (n, k): final tier when the strategy picks tier s (threshold policies)
    cost: Floats  # (n, k): estimated USD of the request at each tier
    latency: Floats  # (n, k): estimated ms
    cap: Ints  # (n,): highest tier a rule allows (sticky never raises above it)
    previous: Ints  # (n,): earlier request of the same conversation, -1 for none
    policy_tier: Ints  # (n,): tier under the policy as written (sticky applied)
    classifier_version: str

    @property
    def n_tiers(self) -> int:
        return len(self.policy.tiers)

    def assign(self, thresholds: Floats) -> Ints:
        """Final tiers for threshold rows ``(K, k-1)`` (or one row ``(k-1,)``)."""
        table = np.atleast_2d(np.asarray(thresholds, dtype=np.float64))
        picked = (self.complexity[None, :, None] >= table[:, None, :]).sum(axis=2)
        final = np.take_along_axis(self.by_strategy.T[None, :, :], picked[None], axis=1)[0]
        final = self._sticky(final.astype(np.int64))
        return final[0] if np.ndim(thresholds) == 1 else final

    def _sticky(self, final: Ints) -> Ints:
        config = self.policy.conversations
        if not config.sticky:
            return final
        for i in np.flatnonzero(self.previous >= 0):
            floor = np.maximum(final[:, self.previous[i]] - config.max_step_down, 0)
            final[:, i] = np.maximum(final[:, i], np.minimum(floor, self.cap[i]))
        return final


def route_log(log: ReplayLog, policy: Policy, scorer: ComplexityScorer) -> RoutedLog:
    """Route every logged prompt once per strategy tier (one scorer pass)."""
    if log.n == 0:
        raise LabelingError("replay: the logs hold no requests")
    memo = _MemoScorer(scorer)
    router = Router(policy, memo)
    own = router.route_batch(list(log.prompts))
    probs = router.score(memo.last_texts)  # cached: the texts the router scored, unrounded
    k = len(policy.tiers)
    if policy.classifier.strategy == "threshold":
        runs = [Router(_forced(policy, s), memo).route_batch(list(log.prompts)) for s in range(k)]
    else:
        runs = [own] * k
    index = policy.tier_index
    by_strategy = np.array([[index(d.tier) for d in run] for run in runs], dtype=np.int64).T
    cost, latency = _estimates(log, policy, runs)
    routed = RoutedLog(
        log=log,
        policy=policy,
        complexity=probs @ np.linspace(0.0, 1.0, k),  # as router's complexity_of
        by_strategy=by_strategy,
        cost=cost,
        latency=latency,
        cap=np.array([_cap(policy, d) for d in own], dtype=np.int64),
        previous=_previous(log),
        policy_tier=np.array([index(d.tier) for d in own], dtype=np.int64),
        classifier_version=scorer.version,
    )
    return _with_policy_tiers(routed, own)


def _with_policy_tiers(routed: RoutedLog, own: list[Decision]) -> RoutedLog:
    """The policy's own tiers with sticky conversations applied."""
    base = np.array([routed.policy.tier_index(d.tier) for d in own], dtype=np.int64)
    final = routed._sticky(base[None, :].copy())[0]
    return RoutedLog(**{**routed.__dict__, "policy_tier": final})


def _forced(policy: Policy, strategy_tier: int) -> Policy:
    """The policy with thresholds that make the strategy pick ``strategy_tier``."""
    names = policy.tier_names[1:]
    thresholds = {name: 0.0 if i < strategy_tier else 1.0 for i, name in enumerate(names)}
    classifier = policy.classifier.model_copy(update={"thresholds": thresholds})
    return policy.model_copy(update={"classifier": classifier})


def _estimates(log: ReplayLog, policy: Policy, runs: list[list[Decision]]) -> tuple[Floats, Floats]:
    deployments = {d.model: d for t in policy.tiers for d in t.deployments}
    n, k = log.n, len(policy.tiers)
    cost, latency = np.zeros((n, k)), np.zeros((n, k))
    for i in range(n):
        chosen = {policy.tier_index(run[i].tier): deployments[run[i].model] for run in runs}
        tokens_in = (
            int(log.input_tokens[i]) if log.input_tokens[i] >= 0 else runs[0][i].input_tokens
        )
        for t, tier in enumerate(policy.tiers):
            deployment = chosen.get(t, tier.deployments[0])
            out = log.output_tokens[i]
            tokens_out = int(out) if np.isfinite(out) else tier.expected_output_tokens
            cost[i, t] = deployment.cost_usd(tokens_in, tokens_out)
            latency[i, t] = deployment.latency_ms(tokens_out)
    return cost, latency


def _cap(policy: Policy, decision: Decision) -> int:
    caps = [
        policy.tier_index(rule.actions.max_tier)
        for rule in policy.overrides
        if rule.name in decision.rules and rule.actions.max_tier is not None
    ]
    forced = [
        policy.tier_index(rule.actions.force_tier)
        for rule in policy.overrides
        if rule.name in decision.rules and rule.actions.force_tier is not None
    ]
    return min(caps + forced + [len(policy.tiers) - 1])


def _previous(log: ReplayLog) -> Ints:
    last: dict[str, int] = {}
    previous = np.full(log.n, -1, dtype=np.int64)
    for i, key in enumerate(log.conversation):
        if log.turn[i] > 1 and key in last:
            previous[i] = last[key]
        last[key] = i
    return previous


def frontier_thresholds(routed: RoutedLog, frontier: Floats) -> Floats:
    """Threshold rows that move the top tier's threshold to each value of ``frontier``
    and scale the lower thresholds with it (the bands keep their proportions)."""
    names = routed.policy.tier_names[1:]
    current = np.array([routed.policy.classifier.thresholds.get(n, 0.0) for n in names])
    top = np.clip(np.asarray(frontier, dtype=np.float64), 0.0, 1.0)
    if current[-1] > 0:
        rows: Floats = np.round(current[None, :] * (top[:, None] / current[-1]), 4)
        rows = np.minimum(rows, top[:, None])
    else:
        rows = np.minimum(current[None, :], top[:, None])
    rows[:, -1] = top
    return rows


def summarize_assignment(routed: RoutedLog, final: Ints) -> dict[str, Any]:
    """Share per tier, estimated cost and latency, and quality where it is known."""
    n, rows = routed.log.n, np.arange(routed.log.n)
    counts = np.bincount(final, minlength=routed.n_tiers)
    cost = routed.cost[rows, final]
    latency = routed.latency[rows, final]
    known = routed.log.outcomes[rows, final]
    covered = np.isfinite(known)
    return {
        "requests": n,
        "share": {t: float(c / n) for t, c in zip(routed.policy.tier_names, counts, strict=True)},
        "cost_usd": float(cost.sum()),
        "cost_usd_per_1k": float(cost.mean() * 1000),
        "latency_ms_mean": float(latency.mean()),
        "latency_ms_p95": float(np.percentile(latency, 95)),
        "quality": float(known[covered].mean()) if covered.any() else None,
        "quality_coverage": float(covered.mean()),
    }
