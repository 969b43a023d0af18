"""Review states, promotion gates, ``promote`` and ``rollback`` of registered versions.

Everything lives in MLflow tags, so the registry UI shows it:

- version tags ``review`` (``pending``/``approved``/``rejected``), ``review.reviewer``,
  ``review.reason``, ``review.at``; ``review.champion`` (the version the review compared
  with) and ``review.summary`` (the numbers the gates read, JSON), written by the review;
- version tags ``promoted.<alias>.at|by|forced`` when a promotion moved the alias there,
  ``rolled_back.<alias>.at|by|reason`` when a rollback moved it away;
- the registered model's tag ``<alias>.history``: the versions the alias pointed at,
  oldest first (``rollback`` pops the last one).

:func:`check_gates` is pure: the stored review numbers + the policy's
:class:`policies.ReviewGates` -> one :class:`GateResult` per gate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from classifier.registry._registry import ModelRegistry, RegisteredVersion
from policies import RegistryError, ReviewGates

__all__ = [
    "REVIEW_STATES",
    "GateInputs",
    "GateResult",
    "PromotionRefused",
    "PromotionResult",
    "alias_history",
    "check_gates",
    "gate_counts",
    "promote",
    "record_review",
    "rollback",
]

REVIEW_STATES = ("pending", "approved", "rejected")
Pair = tuple[float | None, float | None]  # (champion, challenger)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class GateInputs:
    """The review numbers the gates read, champion first in every pair."""

    champion_version: str | None
    top_tier: str
    accuracy: Pair = (None, None)
    apgr: Pair = (None, None)
    frontier_share: Pair = (None, None)
    cost_per_1k: Pair = (None, None)
    slices: Mapping[str, tuple[int, float, float]] = field(default_factory=dict)  # n, acc, acc
    macro_f1: Pair = (None, None)
    ece: Pair = (None, None)
    tier_share: Mapping[str, float] = field(default_factory=dict)  # the challenger's, per tier

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> GateInputs:
        try:
            data = json.loads(text)
            pairs = ("accuracy", "apgr", "frontier_share", "cost_per_1k")
            optional = ("macro_f1", "ece")  # absent from summaries of older reviews
            return cls(
                champion_version=data["champion_version"],
                top_tier=data["top_tier"],
                slices={
                    k: (int(v[0]), float(v[1]), float(v[2])) for k, v in data["slices"].items()
                },
                tier_share={str(k): float(v) for k, v in data.get("tier_share", {}).items()},
                **{k: tuple(data[k]) for k in pairs},
                **{k: tuple(data.get(k, (None, None))) for k in optional},
            )
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise RegistryError(f"review.summary tag: not a review summary ({exc})") from exc


@dataclass(frozen=True)
class GateResult:
    name: str
    status: str  # pass | fail | skip
    detail: str

    def __str__(self) -> str:
        return f"{self.name}: {self.status.upper()} ({self.detail})"


def _delta_gate(name: str, pair: Pair, limit: float | None, higher_is_better: bool) -> GateResult:
    champion, challenger = pair
    if limit is None:
        return GateResult(name, "skip", "no gate in the policy")
    if champion is None or challenger is None or not math.isfinite(champion + challenger):
        return GateResult(name, "skip", "not measured for both versions")
    drop = champion - challenger if higher_is_better else challenger - champion
    ok = drop <= limit + 1e-12
    verb = "drop" if higher_is_better else "increase"
    detail = f"champion {champion:.4f} -> challenger {challenger:.4f}, {verb} {drop:+.4f}"
    return GateResult(name, "pass" if ok else "fail", f"{detail} (limit {limit})")


def check_gates(
    inputs: GateInputs, gates: ReviewGates, frontier_target: float | None = None
) -> list[GateResult]:
    """Each gate of ``gates`` on the review numbers (see :class:`policies.ReviewGates`)."""
    results = [
        _collapse_gate(inputs, gates),
        _delta_gate("apgr", inputs.apgr, gates.max_apgr_drop, True),
        _delta_gate("accuracy", inputs.accuracy, gates.max_accuracy_drop, True),
        _delta_gate("macro_f1", inputs.macro_f1, gates.max_macro_f1_drop, True),
        _delta_gate("ece", inputs.ece, gates.max_ece_increase, False),
    ]
    results.append(_share_gate(inputs, gates, frontier_target))
    results.append(_slice_gate(inputs, gates))
    cost = inputs.cost_per_1k
    limit = gates.max_cost_increase
    if cost[0] and cost[1] is not None and limit is not None:
        relative: Pair = (0.0, (cost[1] - cost[0]) / cost[0])
        results.append(_delta_gate("cost_per_1k", relative, limit, False))
    else:
        results.append(_delta_gate("cost_per_1k", cost, limit, False))
    return results


def _collapse_gate(inputs: GateInputs, gates: ReviewGates) -> GateResult:
    """No tier may take more than ``max_tier_share`` of the routed held-out requests."""
    limit = gates.max_tier_share
    if limit is None:
        return GateResult("tier_collapse", "skip", "no gate in the policy")
    if not inputs.tier_share:
        return GateResult("tier_collapse", "skip", "tier shares not measured")
    tier, share = max(inputs.tier_share.items(), key=lambda kv: kv[1])
    ok = share <= limit + 1e-12
    detail = f"{tier} takes {share:.1%} of the routed requests (limit {limit:.0%})"
    return GateResult("tier_collapse", "pass" if ok else "fail", detail)


def gate_counts(results: Sequence[GateResult]) -> str:
    """``"3 pass, 1 fail, 2 skipped"``: a skipped gate is never counted as passed."""
    n = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "skip")}
    return f"{n['pass']} pass, {n['fail']} fail, {n['skip']} skipped"


def _share_gate(inputs: GateInputs, gates: ReviewGates, target: float | None) -> GateResult:
    name = f"{inputs.top_tier}_share"
    champion, challenger = inputs.frontier_share
    goal = target if target is not None else champion
    if challenger is None or goal is None:
        return GateResult(name, "skip", "no target and no champion to compare with")
    where = "policy target" if target is not None else "champion"
    gap = abs(challenger - goal)
    ok = gap <= gates.frontier_share_tolerance + 1e-12
    detail = f"challenger {challenger:.3f} vs {where} {goal:.3f}"
    return GateResult(
        name, "pass" if ok else "fail", f"{detail} (tolerance {gates.frontier_share_tolerance})"
    )


def _slice_gate(inputs: GateInputs, gates: ReviewGates) -> GateResult:
    if inputs.champion_version is None:
        return GateResult("slices", "skip", "no champion to compare with")
    gated = {k: v for k, v in inputs.slices.items() if v[0] >= gates.min_slice_size}
    if not gated:
        return GateResult("slices", "skip", f"no slice with >= {gates.min_slice_size} rows")
    worse = {k: v[1] - v[2] for k, v in gated.items() if v[1] - v[2] > gates.max_slice_regression}
    if worse:
        listed = ", ".join(f"{k} -{d:.3f}" for k, d in sorted(worse.items(), key=lambda kv: -kv[1]))
        return GateResult(
            "slices", "fail", f"accuracy regressed: {listed} (limit {gates.max_slice_regression})"
        )
    return GateResult("slices", "pass", f"{len(gated)} slices within {gates.max_slice_regression}")


class PromotionRefused(RegistryError):
    """``promote`` found failed gates (``.results`` holds every gate's outcome)."""

    def __init__(self, message: str, results: list[GateResult]) -> None:
        super().__init__(message)
        self.results = results


@dataclass(frozen=True)
class PromotionResult:
    version: RegisteredVersion
    previous: str | None  # the version the alias pointed at before
    results: tuple[GateResult, ...]
    forced: bool


def record_review(
    registry: ModelRegistry,
    name: str,
    version: str,
    state: str,
    *,
    reviewer: str,
    reason: str = "",
) -> RegisteredVersion:
    """Set the review state of ``name/version`` (who, why, when)."""
    if state not in REVIEW_STATES:
        raise RegistryError(f"review state {state!r}: expected one of {list(REVIEW_STATES)}")
    if state != "pending" and not reviewer.strip():
        raise RegistryError(f"{name}/{version}: a review decision needs a reviewer")
    if state == "rejected" and not reason.strip():
        raise RegistryError(f"{name}/{version}: rejecting needs a reason")
    registry.get_version(name, version)  # RegistryError when it does not exist
    tags = {"review": state, "review.reviewer": reviewer, "review.reason": reason}
    registry.set_tags(name, version, {**tags, "review.at": utc_now()})
    return registry.get_version(name, version)


def alias_history(registry: ModelRegistry, name: str, alias: str) -> list[str]:
    """Versions ``alias`` pointed at, oldest first (from the model's tags)."""
    text = registry.model_tags(name).get(f"{alias}.history", "")
    return [v for v in text.split(",") if v]


def _current(registry: ModelRegistry, name: str, alias: str) -> RegisteredVersion | None:
    try:
        return registry.resolve(f"models:/{name}@{alias}")
    except RegistryError:
        return None  # no such alias yet


def _review_results(
    version: RegisteredVersion,
    current: RegisteredVersion | None,
    gates: ReviewGates,
    frontier_target: float | None,
) -> list[GateResult]:
    state = version.tags.get("review", "")
    results = []
    if gates.require_approval:
        who = version.tags.get("review.reviewer", "")
        ok = state == "approved"
        detail = f"approved by {who}" if ok else f"review is {state or 'missing'}"
        results.append(GateResult("approval", "pass" if ok else "fail", detail))
    summary = version.tags.get("review.summary")
    if summary is None:
        results.append(GateResult("review", "fail", "no review: run `tierroute review` first"))
        return results
    inputs = GateInputs.from_json(summary)
    if gates.require_current_champion:
        now = current.version if current is not None else None
        ok = inputs.champion_version == now
        detail = f"reviewed against {inputs.champion_version or 'no champion'}, alias is at {now}"
        results.append(GateResult("current_champion", "pass" if ok else "fail", detail))
    return results + check_gates(inputs, gates, frontier_target)


def promote(
    registry: ModelRegistry,
    name: str,
    version: str,
    *,
    gates: ReviewGates,
    alias: str = "champion",
    frontier_target: float | None = None,
    force: bool = False,
    reason: str = "",
    actor: str = "",
) -> PromotionResult:
    """Move ``alias`` to ``version`` when every gate passes (or ``force`` with a reason)."""
    if force and not reason.strip():
        raise RegistryError("--force needs a --reason (it is recorded on the version)")
    target = registry.get_version(name, version)
    current = _current(registry, name, alias)
    if current is not None and current.version == target.version:
        raise RegistryError(f"{name}@{alias} already points at version {version}")
    results = _review_results(target, current, gates, frontier_target)
    failed = [r for r in results if r.status == "fail"]
    if failed and not force:
        lines = "\n  ".join(str(r) for r in failed)
        raise PromotionRefused(
            f"{name}/{version} not promoted to @{alias}: {len(failed)} gate(s) failed:\n  {lines}",
            results,
        )
    history = alias_history(registry, name, alias)
    if current is not None and (not history or history[-1] != current.version):
        history.append(current.version)  # the alias was set outside promote
    registry.set_alias(name, alias, target.version)
    registry.set_model_tag(name, f"{alias}.history", ",".join([*history, target.version]))
    tags = {f"promoted.{alias}.at": utc_now(), f"promoted.{alias}.by": actor}
    if force:
        tags[f"promoted.{alias}.forced"] = f"{reason} (failed: {', '.join(r.name for r in failed)})"
    registry.set_tags(name, target.version, tags)
    return PromotionResult(
        registry.get_version(name, target.version),
        current.version if current is not None else None,
        tuple(results),
        bool(failed),
    )


def rollback(
    registry: ModelRegistry,
    name: str,
    *,
    alias: str = "champion",
    actor: str = "",
    reason: str = "",
) -> tuple[str, RegisteredVersion]:
    """Move ``alias`` back to the version it pointed at before; returns (from, to)."""
    history = alias_history(registry, name, alias)
    current = _current(registry, name, alias)
    if current is None:
        raise RegistryError(f"{name}@{alias}: no such alias, nothing to roll back")
    if not history or history[-1] != current.version:
        history.append(current.version)
    if len(history) < 2:
        raise RegistryError(f"{name}@{alias}: no previous version in {alias}.history to go back to")
    history.pop()
    previous = history[-1]
    registry.set_alias(name, alias, previous)
    registry.set_model_tag(name, f"{alias}.history", ",".join(history))
    tags = {f"rolled_back.{alias}.at": utc_now(), f"rolled_back.{alias}.by": actor}
    registry.set_tags(name, current.version, {**tags, f"rolled_back.{alias}.reason": reason})
    return current.version, registry.get_version(name, previous)
