"""The replay report: the policy against all-top-tier, the cost-quality curve, APGR/CPT.

Quality comparisons use paired requests only (both outcomes known), so a router that
sends the unknown cases elsewhere does not look better or worse than it is.
APGR/CPT are RouteLLM's binary view (top tier vs the tier below it, requests where both
outcomes are known, the complexity score as strong-score): see
:mod:`classifier.evaluation._routing`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labeling.replay._replay import RoutedLog, frontier_thresholds, summarize_assignment

__all__ = ["replay_curve", "replay_report", "write_curve_png"]


def replay_report(routed: RoutedLog) -> dict[str, Any]:
    """Everything ``tierroute replay`` prints and writes, as JSON-ready data."""
    log, policy = routed.log, routed.policy
    top = routed.n_tiers - 1
    routed_summary = summarize_assignment(routed, routed.policy_tier)
    all_top = summarize_assignment(routed, np.full(log.n, top, dtype=np.int64))
    all_low = summarize_assignment(routed, np.zeros(log.n, dtype=np.int64))
    logged = np.isfinite(log.logged_cost_usd)
    return {
        "policy": policy.version_string,
        "thresholds": dict(policy.classifier.thresholds),
        "classifier": routed.classifier_version,
        "inputs": list(log.sources),
        "requests": log.n,
        "quarantined": log.quarantined,
        "follow_up_turns": int((routed.previous >= 0).sum()),
        "routed": routed_summary,
        "baselines": {
            f"all-{policy.tier_names[top]}": all_top,
            f"all-{policy.tier_names[0]}": all_low,
        },
        "logged_cost_usd": float(log.logged_cost_usd[logged].sum()) if logged.any() else None,
        "logged_cost_coverage": float(logged.mean()),
        "vs_top_tier": _paired(routed, routed.policy_tier, top),
        "routing_quality": _routellm(routed),
        "curve": replay_curve(routed),
    }


def _paired(routed: RoutedLog, final: NDArray[np.int64], top: int) -> dict[str, Any]:
    rows = np.arange(routed.log.n)
    mine = routed.log.outcomes[rows, final]
    ref = routed.log.outcomes[:, top]
    both = np.isfinite(mine) & np.isfinite(ref)
    cost = routed.cost[rows, final].sum()
    top_cost = routed.cost[:, top].sum()
    out: dict[str, Any] = {
        "paired_requests": int(both.sum()),
        "paired_coverage": float(both.mean()),
        "cost_ratio": float(cost / top_cost) if top_cost > 0 else None,
        "cost_saving": float(1 - cost / top_cost) if top_cost > 0 else None,
    }
    if both.any():
        quality, reference = float(mine[both].mean()), float(ref[both].mean())
        out |= {
            "quality": quality,
            "top_tier_quality": reference,
            "quality_ratio": quality / reference if reference > 0 else None,
        }
    return out


def _routellm(routed: RoutedLog) -> dict[str, Any] | None:
    from classifier.evaluation import RoutingTable, apgr, cpt, routing_curve

    if routed.n_tiers < 2:
        return None
    strong, weak = routed.n_tiers - 1, routed.n_tiers - 2
    outcomes = routed.log.outcomes
    keep = np.isfinite(outcomes[:, strong]) & np.isfinite(outcomes[:, weak])
    if keep.sum() < 2 or abs(np.mean(outcomes[keep, strong] - outcomes[keep, weak])) < 1e-12:
        return None
    table = RoutingTable(
        prompts=tuple(str(i) for i in np.flatnonzero(keep)),
        sources=("replay",) * int(keep.sum()),
        strong_correct=outcomes[keep, strong],
        weak_correct=outcomes[keep, weak],
        strong_cost=routed.cost[keep, strong],
        weak_cost=routed.cost[keep, weak],
        strong_model=routed.policy.tier_names[strong],
        weak_model=routed.policy.tier_names[weak],
    )
    curve = routing_curve(routed.complexity[keep], table)
    return {
        "requests": table.n,
        "strong": table.strong_model,
        "weak": table.weak_model,
        "apgr": apgr(curve),
        "cpt50": cpt(curve, 0.5),
        "cpt80": cpt(curve, 0.8),
    }


def replay_curve(routed: RoutedLog, n_points: int = 41) -> dict[str, Any]:
    """Cost and quality as the top tier's threshold sweeps from 1 down to 0.

    Quality is the mean over requests whose outcome is known for every tier (the same
    requests at every point); None when there are none.
    """
    values = np.linspace(1.0, 0.0, n_points)
    final = routed.assign(frontier_thresholds(routed, values))
    rows = np.arange(routed.log.n)[None, :]
    top = routed.n_tiers - 1
    complete = np.isfinite(routed.log.outcomes).all(axis=1)
    cost = routed.cost[rows, final].mean(axis=1) * 1000
    quality = policy_quality = None
    if complete.any():
        known = np.nan_to_num(routed.log.outcomes)
        quality = [round(float(v), 5) for v in known[rows, final][:, complete].mean(axis=1)]
        policy_quality = float(known[rows[0], routed.policy_tier][complete].mean())
    return {
        "top_threshold": [round(float(v), 4) for v in values],
        "top_share": [round(float(v), 5) for v in (final == top).mean(axis=1)],
        "cost_usd_per_1k": [round(float(v), 6) for v in cost],
        "quality": quality,
        "quality_requests": int(complete.sum()),
        "policy_quality": policy_quality,
    }


def write_curve_png(report: dict[str, Any], path: Path) -> Path | None:
    """The cost-quality curve with the policy's point; None without outcomes or matplotlib."""
    curve = report["curve"]
    if curve["quality"] is None:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(
        curve["cost_usd_per_1k"], curve["quality"], marker=".", label="top-tier threshold sweep"
    )
    routed = report["routed"]
    ax.scatter([routed["cost_usd_per_1k"]], [curve["policy_quality"]], color="red", zorder=3,
               label=f"policy {report['policy']}")  # fmt: skip
    ax.set_xlabel("estimated USD per 1,000 requests")
    ax.set_ylabel(f"quality ({curve['quality_requests']} requests with every outcome known)")
    ax.set_title("replay: cost vs quality")
    ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
