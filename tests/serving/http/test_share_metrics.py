"""Live share per tier and the calibrated target as Prometheus metrics."""

from __future__ import annotations

from policies import Calibration, default_policy
from serving.http._metrics import Metrics


def _decision(tier: str, forced: bool = False) -> dict[str, object]:
    reasons = [f"request:forced-{tier}"] if forced else [f"threshold:{tier} complexity=0.5"]
    return {"tier": tier, "speculative": False, "rules": [], "reasons": reasons}


def test_share_is_a_rolling_window_of_routed_decisions() -> None:
    metrics = Metrics(share_window=4)
    policy = default_policy()
    calibration = Calibration(
        target="frontier-share=0.3",
        tier_share={"small": 0.5, "medium": 0.2, "frontier": 0.3},
        interval={"small": (0.45, 0.55), "medium": (0.15, 0.25), "frontier": (0.25, 0.35)},
        fitted_on="test",
        n_requests=100,
        date="2025-01-01",
    )
    metrics.set_calibration(policy.model_copy(update={"calibration": calibration}))
    for tier in ("frontier", "frontier", "small", "small", "small"):
        metrics.observe_decision(_decision(tier))
    metrics.observe_decision(_decision("frontier", forced=True))  # not a routed decision
    body = metrics.render()[0].decode()
    assert 'tierroute_tier_share{tier="small"} 0.75' in body  # last 4: frontier + 3 small
    assert 'tierroute_tier_share{tier="frontier"} 0.25' in body
    assert 'tierroute_tier_share{tier="medium"} 0.0' in body
    assert 'tierroute_calibrated_tier_share{bound="high",tier="frontier"} 0.35' in body
    assert 'tierroute_calibrated_tier_share{bound="target",tier="frontier"} 0.3' in body
    metrics.set_calibration(policy)  # a policy without calibration clears the series
    assert "tierroute_calibrated_tier_share{" not in metrics.render()[0].decode()
