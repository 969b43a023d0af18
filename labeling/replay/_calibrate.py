"""Calibrate the threshold policy on replayed logs, with a bootstrap interval.

Targets (``--target``):

- ``frontier-share=0.3``: the share of requests the router sends to the top tier
  (after rules and try-cheaper-first: the final routed tier). Moves the top tier's
  threshold; a lower threshold above it is lowered with it.
- ``budget-usd-per-1k=2.5``: the estimated cost per 1,000 requests stays under the
  budget; shifts every threshold by one offset and takes the lowest offset (most
  quality) that fits.
- ``quality=0.95``: quality at least this fraction of the all-top-tier quality, on the
  requests whose outcome is known for every tier; takes the cheapest offset that
  reaches it.

Thresholds are never degenerate: each stays in [0.01, 0.99] and every tier keeps a band
of at least 0.01 (a policy whose thresholds collapse to 0/0 would skip a tier entirely).

Try-cheaper-first starts a request one tier lower when P(that tier suffices) reaches
``cascade.try_cheaper_min_p``, so thresholds alone may not reach a top-tier share or a
quality. :func:`calibrate_policy` then raises ``try_cheaper_min_p`` step by step (the
decided tier is calibrated, not the raw score) and reports the value it needed; a target
that stays out of reach is refused with what would reach it.

The bootstrap resamples requests (``n_boot`` times): the threshold is refitted on each
resample (its interval says how well the logs pin it down) and the share per tier at
the fitted thresholds is measured on each (its interval is what ``tierroute drift``
compares live traffic with).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from labeling.replay._replay import RoutedLog, frontier_thresholds, summarize_assignment
from policies import LabelingError

__all__ = ["CalibrationResult", "Target", "UnreachableTarget", "calibrate", "calibrate_policy"]

Floats = NDArray[np.float64]
TargetKind = Literal["share", "budget", "quality"]
_SPEC = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*=\s*([0-9.eE+-]+)\s*$")
_MIN_COMPLETE = 30
_LOW, _HIGH, _BAND = 0.01, 0.99, 0.01
MIN_P_STEPS = (0.55, 0.65, 0.75, 0.85, 0.95, 1.0)


class UnreachableTarget(LabelingError):
    """No thresholds meet the target under this policy (try-cheaper-first, rules, caps).

    ``tied``: the target lies inside the reachable range but many requests score alike,
    so the share jumps over it (raising ``try_cheaper_min_p`` cannot help)."""

    def __init__(self, message: str, *, tied: bool = False) -> None:
        super().__init__(message)
        self.tied = tied


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    value: float
    spec: str

    @classmethod
    def parse(cls, spec: str, top_tier: str = "frontier") -> Target:
        match = _SPEC.match(spec)
        if match is None:
            raise LabelingError(f"--target {spec!r}: expected NAME=VALUE, e.g. frontier-share=0.3")
        name, raw = match.groups()
        value = float(raw)
        if name in ("frontier-share", f"{top_tier}-share"):
            kind: TargetKind = "share"
        elif name == "budget-usd-per-1k":
            kind = "budget"
        elif name == "quality":
            kind = "quality"
        else:
            raise LabelingError(
                f"--target {spec!r}: unknown target {name!r} "
                "(frontier-share, budget-usd-per-1k, quality)"
            )
        if kind != "budget" and not 0.0 <= value <= 1.0:
            raise LabelingError(f"--target {spec!r}: {name} must be between 0 and 1")
        if kind == "budget" and value <= 0:
            raise LabelingError(f"--target {spec!r}: the budget must be positive")
        return cls(kind, value, f"{name}={value:g}")


@dataclass(frozen=True)
class CalibrationResult:
    target: Target
    thresholds: dict[str, float]
    threshold_interval: dict[str, tuple[float, float]]
    achieved: dict[str, Any]  # summarize_assignment at the fitted thresholds
    share_interval: dict[str, tuple[float, float]]
    cost_interval: tuple[float, float]
    quality_interval: tuple[float, float] | None
    confidence: float
    n_boot: int
    try_cheaper_min_p: float | None = None  # set when calibration had to raise it

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target.spec,
            "thresholds": self.thresholds,
            "try_cheaper_min_p": self.try_cheaper_min_p,
            "threshold_interval": {k: list(v) for k, v in self.threshold_interval.items()},
            "achieved": self.achieved,
            "share_interval": {k: list(v) for k, v in self.share_interval.items()},
            "cost_usd_per_1k_interval": list(self.cost_interval),
            "quality_interval": None
            if self.quality_interval is None
            else list(self.quality_interval),
            "confidence": self.confidence,
            "bootstrap_resamples": self.n_boot,
        }


def calibrate(
    routed: RoutedLog,
    target: Target,
    *,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> CalibrationResult:
    """Fit the thresholds that meet ``target`` on ``routed`` (see the module docstring)."""
    if routed.policy.classifier.strategy != "threshold":
        raise LabelingError(
            "calibrate: the policy's classifier.strategy is "
            f"{routed.policy.classifier.strategy!r}; only threshold policies have thresholds"
        )
    if routed.n_tiers < 2:
        raise LabelingError("calibrate: the policy has one tier; there is nothing to calibrate")
    rows = _candidates(routed, target)
    final = routed.assign(rows)  # (K, n)
    n = routed.log.n
    rng = np.random.default_rng(seed)
    weights = np.vstack(
        [np.ones(n), *(np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot))]
    )
    metric = _metric(routed, target, final) @ weights.T / _denominator(routed, target, weights)
    chosen = [_choose(target, metric[:, b]) for b in range(weights.shape[0])]
    best = rows[chosen[0]]
    if target.kind == "share":
        _check_reached(target, metric[:, 0], chosen[0], routed)
    names = routed.policy.tier_names[1:]
    point = final[chosen[0]]
    alpha = (1 - confidence) / 2
    refits = rows[chosen[1:]] if n_boot else best[None, :]
    return CalibrationResult(
        target=target,
        thresholds={name: round(float(v), 4) for name, v in zip(names, best, strict=True)},
        threshold_interval={name: _interval(refits[:, j], alpha) for j, name in enumerate(names)},
        achieved=summarize_assignment(routed, point),
        share_interval=_share_interval(routed, point, weights[1:], alpha),
        cost_interval=_interval(
            _boot_mean(routed.cost[np.arange(n), point], weights[1:]) * 1000, alpha
        ),
        quality_interval=_quality_interval(routed, point, weights[1:], alpha),
        confidence=confidence,
        n_boot=n_boot,
    )


def _sane(rows: Floats) -> Floats:
    """Rows clipped to [0.01, 0.99] with a band of >= 0.01 per tier, deduplicated, in
    order of rising cost (the top threshold falling)."""
    k = rows.shape[1]
    out = np.clip(rows, _LOW + _BAND * np.arange(k), _HIGH - _BAND * np.arange(k)[::-1])
    for j in range(k - 2, -1, -1):  # each threshold at least one band below the next
        out[:, j] = np.minimum(out[:, j], out[:, j + 1] - _BAND)
    out = np.round(out, 4)
    _, first = np.unique(out, axis=0, return_index=True)
    kept: Floats = out[np.sort(first)].astype(np.float64)
    return kept


def _candidates(routed: RoutedLog, target: Target) -> Floats:
    """Threshold rows ``(K, k-1)`` in order of rising cost (falling thresholds)."""
    if target.kind == "share":
        grid = np.quantile(routed.complexity, np.linspace(0.0, 1.0, 801))
        values = np.unique(np.round(np.concatenate([grid, [0.0, 1.0]]), 4))[::-1]
        return _sane(frontier_thresholds(routed, values))
    names = routed.policy.tier_names[1:]
    current = np.array([routed.policy.classifier.thresholds[n] for n in names])
    offsets = np.linspace(1.0, -1.0, 401)
    shifted = np.clip(current[None, :] + offsets[:, None], 0.0, 1.0).astype(np.float64)
    return _sane(shifted)


def _metric(routed: RoutedLog, target: Target, final: NDArray[np.int64]) -> Floats:
    """Per candidate and request: the quantity whose weighted mean is the target's."""
    top = routed.n_tiers - 1
    if target.kind == "share":
        share: Floats = (final == top).astype(np.float64)
        return share
    rows = np.arange(routed.log.n)
    if target.kind == "budget":
        cost: Floats = routed.cost[rows[None, :], final] * 1000
        return cost
    complete = np.asarray(np.isfinite(routed.log.outcomes).all(axis=1))
    known: Floats = np.nan_to_num(routed.log.outcomes)
    scores = np.where(complete[None, :], known[rows[None, :], final], 0.0)
    reference = known[:, top] * complete
    gap: Floats = scores - target.value * reference[None, :]  # mean >= 0: the target is met
    return gap


def _denominator(routed: RoutedLog, target: Target, weights: Floats) -> Floats:
    if target.kind != "quality":
        total: Floats = weights.sum(axis=1)
        return total
    complete = np.isfinite(routed.log.outcomes).all(axis=1)
    if complete.sum() < _MIN_COMPLETE:
        raise LabelingError(
            f"--target quality needs outcomes for every tier on at least {_MIN_COMPLETE} "
            f"requests; the logs have {int(complete.sum())}"
        )
    counts: Floats = weights @ complete.astype(np.float64)
    return counts


def _choose(target: Target, values: Floats) -> int:
    """Index of the candidate that meets the target (candidates rise in cost)."""
    if target.kind == "share":
        return int(np.argmin(np.abs(values - target.value)))
    if target.kind == "budget":
        fits = np.flatnonzero(values <= target.value + 1e-12)
        if fits.size == 0:
            raise UnreachableTarget(
                f"--target {target.spec}: even the cheapest thresholds cost "
                f"{values.min():.4f} USD per 1k requests; set a budget of at least that, "
                "or cheaper deployments / a lower objective.max_cost_usd_per_request"
            )
        return int(fits[-1])
    reached = np.flatnonzero(values >= -1e-12)
    if reached.size == 0:
        raise UnreachableTarget(
            f"--target {target.spec}: no thresholds reach it on these logs (the best falls "
            f"short by {-values.max():.3f} per request; try-cheaper-first and rules bound "
            "the top tier's share: see `tierroute replay`)"
        )
    return int(reached[0])


def _check_reached(target: Target, shares: Floats, chosen: int, routed: RoutedLog) -> None:
    achieved = float(shares[chosen])
    if abs(achieved - target.value) <= max(0.01, 1.5 / routed.log.n):
        return
    if shares.min() - 0.01 <= target.value <= shares.max() + 0.01:
        raise UnreachableTarget(
            f"--target {target.spec}: the top-tier share jumps past it on these logs (many "
            f"requests score alike; the closest share is {achieved:.3f}): target that "
            "share, or score the user's question rather than a fixed template",
            tied=True,
        )
    policy = routed.policy
    hint = (
        f"cascade.try_cheaper_min_p={policy.cascade.try_cheaper_min_p} starts requests one "
        "tier lower"
        if policy.cascade.enabled
        else "rules and objective caps fix the tier of some requests"
    )
    raise UnreachableTarget(
        f"--target {target.spec}: thresholds reach a top-tier share between "
        f"{shares.min():.3f} and {shares.max():.3f} on these logs ({hint}); the closest is "
        f"{achieved:.3f}"
    )


def _interval(values: Floats, alpha: float) -> tuple[float, float]:
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return round(float(low), 4), round(float(high), 4)


def _boot_mean(values: Floats, weights: Floats) -> Floats:
    result: Floats = weights @ values / weights.sum(axis=1)
    return result


def _share_interval(
    routed: RoutedLog, point: NDArray[np.int64], weights: Floats, alpha: float
) -> dict[str, tuple[float, float]]:
    out = {}
    for t, name in enumerate(routed.policy.tier_names):
        shares = _boot_mean((point == t).astype(np.float64), weights)
        out[name] = _interval(shares, alpha) if len(shares) else (0.0, 1.0)
    return out


def _quality_interval(
    routed: RoutedLog, point: NDArray[np.int64], weights: Floats, alpha: float
) -> tuple[float, float] | None:
    known = routed.log.outcomes[np.arange(routed.log.n), point]
    covered = np.isfinite(known)
    if not covered.any() or not len(weights):
        return None
    sums = weights[:, covered] @ known[covered]
    counts = weights[:, covered].sum(axis=1)
    return _interval(sums / np.maximum(counts, 1), alpha)


def calibrate_policy(
    log: Any,
    policy: Any,
    scorer: Any,
    target: Target,
    *,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[CalibrationResult, RoutedLog]:
    """Route ``log`` with ``policy`` and calibrate; when try-cheaper-first keeps the target
    out of reach, raise ``cascade.try_cheaper_min_p`` through :data:`MIN_P_STEPS` (the
    smallest value that reaches it wins). Raises :class:`UnreachableTarget` with the
    first error when no step helps."""
    from labeling.replay._replay import _MemoScorer, route_log

    memo = _MemoScorer(scorer)  # one scoring pass, however many policies are tried
    routed = route_log(log, policy, memo)
    try:
        return calibrate(routed, target, n_boot=n_boot, confidence=confidence, seed=seed), routed
    except UnreachableTarget as first:
        cascade = policy.cascade
        if not cascade.enabled or target.kind == "budget" or first.tied:
            raise
        for step in (p for p in MIN_P_STEPS if p > cascade.try_cheaper_min_p):
            trial = policy.model_copy(
                update={"cascade": cascade.model_copy(update={"try_cheaper_min_p": step})}
            )
            routed = route_log(log, trial, memo)
            try:
                result = calibrate(routed, target, n_boot=n_boot, confidence=confidence, seed=seed)
            except UnreachableTarget as error:
                if error.tied:
                    raise
                continue
            return replace(result, try_cheaper_min_p=step), routed
        raise UnreachableTarget(
            f"{first} Raising cascade.try_cheaper_min_p up to 1.0 did not reach it either: "
            "set a reachable target or disable the cascade (cascade.enabled: false)."
        ) from first
