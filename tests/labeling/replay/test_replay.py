"""Replay and calibration on RouterBench-shaped logs, with a stub scorer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labeling.replay._calibrate import Target, calibrate
from labeling.replay._logs import read_replay_logs
from labeling.replay._replay import route_log
from labeling.replay._report import replay_report
from policies import LabelingError
from router import estimate_tokens
from tests.fakes import StubScorer
from tests.labeling._replay_fixtures import make_policy, synthetic_rows, write_outcomes


def _routed(path: Path, **policy_options: bool):  # type: ignore[no-untyped-def]
    policy = make_policy(**policy_options)
    return route_log(read_replay_logs([path], policy), policy, StubScorer())


def test_replay_numbers_equal_a_hand_computed_case(tmp_path: Path) -> None:
    prompts = [f"Pick the answer to item {i}. d={d}" for i, d in enumerate((0.1, 0.4, 0.7, 0.9))]
    rows = [
        {"prompt": prompts[0], "small": 1, "medium": 1, "frontier": 1},
        {"prompt": prompts[1], "small": 0, "medium": 1, "frontier": 1},
        {"prompt": prompts[2], "small": 0, "medium": 0, "frontier": 1},
        {"prompt": prompts[3], "small": 0, "medium": 0, "frontier": None},  # unknown
    ]
    routed = _routed(write_outcomes(tmp_path / "rb_test.csv", rows), urgent_rule=False)
    report = replay_report(routed)

    # thresholds medium 0.35, frontier 0.60: small, medium, frontier, frontier
    assert report["routed"]["share"] == {"small": 0.25, "medium": 0.25, "frontier": 0.5}
    tokens = [estimate_tokens(p) for p in prompts]
    # USD per 1M tokens: small 0.2/0.2, medium 0.6/0.6, frontier 10/30; outputs 256/320/400
    by_hand = [
        (tokens[0] * 0.2 + 256 * 0.2) / 1e6,
        (tokens[1] * 0.6 + 320 * 0.6) / 1e6,
        (tokens[2] * 10 + 400 * 30) / 1e6,
        (tokens[3] * 10 + 400 * 30) / 1e6,
    ]
    assert report["routed"]["cost_usd"] == pytest.approx(sum(by_hand))
    assert report["routed"]["latency_ms_mean"] == pytest.approx(
        (60 + 256 * 6 + 120 + 320 * 9 + 2 * (450 + 400 * 25)) / 4
    )
    # quality only where the routed tier's outcome is known: 3 of 4, all correct
    assert report["routed"]["quality"] == pytest.approx(1.0)
    assert report["routed"]["quality_coverage"] == pytest.approx(0.75)
    top = report["baselines"]["all-frontier"]
    assert top["quality_coverage"] == pytest.approx(0.75)
    assert top["cost_usd"] == pytest.approx(sum((t * 10 + 400 * 30) / 1e6 for t in tokens))
    assert report["vs_top_tier"]["paired_requests"] == 3


def test_calibration_lands_on_target_on_a_disjoint_split(tmp_path: Path) -> None:
    fit = write_outcomes(tmp_path / "fit.csv", synthetic_rows(4000, seed=1))
    held = write_outcomes(tmp_path / "held.csv", synthetic_rows(4000, seed=2))
    routed = _routed(fit)
    result = calibrate(routed, Target.parse("frontier-share=0.3"), n_boot=100)
    assert result.achieved["share"]["frontier"] == pytest.approx(0.3, abs=0.01)
    low, high = result.share_interval["frontier"]
    assert low < 0.3 < high

    policy = make_policy()
    classifier = policy.classifier.model_copy(update={"thresholds": result.thresholds})
    calibrated = policy.model_copy(update={"classifier": classifier})
    held_out = route_log(read_replay_logs([held], calibrated), calibrated, StubScorer())
    share = float((held_out.policy_tier == 2).mean())
    assert share == pytest.approx(0.3, abs=0.02)
    # the URGENT rule forces ~10 % to frontier: raw complexity alone would overshoot
    raw = float((held_out.complexity >= result.thresholds["frontier"]).mean())
    assert share - raw > 0.03


def test_budget_and_quality_targets(tmp_path: Path) -> None:
    routed = _routed(write_outcomes(tmp_path / "fit.csv", synthetic_rows(1500, seed=3)))
    budget = calibrate(routed, Target.parse("budget-usd-per-1k=3"), n_boot=20)
    assert budget.achieved["cost_usd_per_1k"] <= 3.0
    quality = calibrate(routed, Target.parse("quality=0.9"), n_boot=20)
    report = replay_report(routed)
    top_quality = report["baselines"]["all-frontier"]["quality"]
    assert quality.achieved["quality"] >= 0.9 * top_quality - 0.01
    assert (
        quality.achieved["cost_usd_per_1k"] < report["baselines"]["all-frontier"]["cost_usd_per_1k"]
    )
    with pytest.raises(LabelingError, match="cheapest thresholds cost"):
        calibrate(routed, Target.parse("budget-usd-per-1k=0.0001"), n_boot=0)


def test_unreachable_share_says_why(tmp_path: Path) -> None:
    routed = _routed(
        write_outcomes(tmp_path / "fit.csv", synthetic_rows(300, seed=4)), cascade=True
    )
    with pytest.raises(LabelingError, match="try_cheaper_min_p"):
        calibrate(routed, Target.parse("frontier-share=0.9"), n_boot=0)


@pytest.mark.parametrize("spec", ["frontier=0.3", "frontier-share=1.5", "tokens=3", "x"])
def test_bad_targets_are_rejected(spec: str) -> None:
    with pytest.raises(LabelingError, match="--target"):
        Target.parse(spec)


def test_assign_matches_the_router_for_the_policy_thresholds(tmp_path: Path) -> None:
    routed = _routed(
        write_outcomes(tmp_path / "fit.csv", synthetic_rows(500, seed=5)), cascade=True
    )
    thresholds = routed.policy.classifier.thresholds
    again = routed.assign(np.array([thresholds["medium"], thresholds["frontier"]]))
    assert np.array_equal(again, routed.policy_tier)


def test_cascade_blocked_share_is_reached_by_raising_try_cheaper_min_p(tmp_path: Path) -> None:
    """Fit on one half, hold the thresholds and min_p to the other half: +-0.03."""
    from labeling.replay._calibrate import calibrate_policy

    fit = write_outcomes(tmp_path / "fit.csv", synthetic_rows(3000, seed=5, urgent_share=0.0))
    held = write_outcomes(tmp_path / "held.csv", synthetic_rows(3000, seed=6, urgent_share=0.0))
    policy = make_policy(cascade=True, urgent_rule=False)
    log = read_replay_logs([fit], policy)
    with pytest.raises(LabelingError, match="try_cheaper_min_p"):
        calibrate(route_log(log, policy, StubScorer()), Target.parse("frontier-share=0.3"))
    result, _ = calibrate_policy(log, policy, StubScorer(), Target.parse("frontier-share=0.3"),
                                 n_boot=20)  # fmt: skip
    assert result.try_cheaper_min_p is not None
    assert result.try_cheaper_min_p > policy.cascade.try_cheaper_min_p
    cascade = policy.cascade.model_copy(update={"try_cheaper_min_p": result.try_cheaper_min_p})
    classifier = policy.classifier.model_copy(update={"thresholds": result.thresholds})
    calibrated = policy.model_copy(update={"cascade": cascade, "classifier": classifier})
    held_out = route_log(read_replay_logs([held], calibrated), calibrated, StubScorer())
    assert float((held_out.policy_tier == 2).mean()) == pytest.approx(0.3, abs=0.03)


def test_thresholds_are_never_degenerate(tmp_path: Path) -> None:
    routed = _routed(write_outcomes(tmp_path / "fit.csv", synthetic_rows(800, seed=7)))
    for spec in ("budget-usd-per-1k=1000", "budget-usd-per-1k=2", "quality=0", "quality=0.99"):
        result = calibrate(routed, Target.parse(spec), n_boot=5)
        medium, frontier = result.thresholds["medium"], result.thresholds["frontier"]
        assert 0.01 <= medium < frontier <= 0.99, (spec, result.thresholds)


def test_an_unreachable_budget_is_refused_with_a_way_out(tmp_path: Path) -> None:
    from labeling.replay._calibrate import UnreachableTarget, calibrate_policy

    fit = write_outcomes(tmp_path / "fit.csv", synthetic_rows(300, seed=8))
    policy = make_policy(cascade=True)
    log = read_replay_logs([fit], policy)
    with pytest.raises(UnreachableTarget, match="set a budget of at least"):
        calibrate_policy(log, policy, StubScorer(), Target.parse("budget-usd-per-1k=0.5"))
