"""Promotion gates on stored review numbers (pure; the registry flow is in
tests/serving/test_model_review.py)."""

from __future__ import annotations

import json

import pytest

from classifier.registry import check_gates
from classifier.registry._promotion import GateInputs, gate_counts
from policies import RegistryError, ReviewGates

GOOD = GateInputs(
    champion_version="1",
    top_tier="frontier",
    accuracy=(0.80, 0.82),
    apgr=(0.60, 0.605),
    frontier_share=(0.30, 0.31),
    cost_per_1k=(4.0, 4.1),
    slices={"sql": (40, 0.7, 0.72), "code": (10, 0.9, 0.5)},  # code: too small to gate
    macro_f1=(0.50, 0.51),
    ece=(0.04, 0.05),
    tier_share={"small": 0.4, "medium": 0.29, "frontier": 0.31},
)


def _status(inputs: GateInputs, gates: ReviewGates, target: float | None = None) -> dict[str, str]:
    return {g.name: g.status for g in check_gates(inputs, gates, target)}


def test_a_better_challenger_passes_and_small_slices_are_not_gated() -> None:
    status = _status(GOOD, ReviewGates())
    assert status == {
        "tier_collapse": "pass",
        "apgr": "pass",
        "accuracy": "pass",
        "macro_f1": "pass",
        "ece": "pass",
        "frontier_share": "pass",
        "slices": "pass",
        "cost_per_1k": "skip",  # no cost gate by default
    }


def test_each_gate_fails_on_its_own_regression() -> None:
    worse = GateInputs(
        champion_version="1",
        top_tier="frontier",
        accuracy=(0.80, 0.75),
        apgr=(0.60, 0.585),
        frontier_share=(0.30, 0.40),
        cost_per_1k=(4.0, 5.0),
        slices={"sql": (40, 0.7, 0.6)},
        macro_f1=(0.50, 0.45),
        ece=(0.04, 0.09),
        tier_share={"small": 0.95, "medium": 0.0, "frontier": 0.05},
    )
    gates = ReviewGates(max_cost_increase=0.1)
    assert set(_status(worse, gates).values()) == {"fail"}
    results = {g.name: g for g in check_gates(worse, gates)}
    assert "sql -0.100" in results["slices"].detail
    assert "drop +0.0150" in results["apgr"].detail
    assert "small takes 95.0%" in results["tier_collapse"].detail
    assert "increase +0.0500" in results["ece"].detail


def test_frontier_share_is_held_to_the_policy_target_when_set() -> None:
    assert _status(GOOD, ReviewGates(), target=0.20)["frontier_share"] == "fail"
    assert _status(GOOD, ReviewGates(), target=0.33)["frontier_share"] == "pass"


def test_first_version_without_champion_skips_the_comparisons() -> None:
    alone = GateInputs(champion_version=None, top_tier="frontier", accuracy=(None, 0.8),
                       apgr=(None, 0.6), frontier_share=(None, 0.3))  # fmt: skip
    status = _status(alone, ReviewGates())
    assert status["apgr"] == status["accuracy"] == status["slices"] == "skip"
    assert status["frontier_share"] == "skip"
    assert _status(alone, ReviewGates(), target=0.3)["frontier_share"] == "pass"


def test_summary_round_trips_through_the_tag_and_rejects_garbage() -> None:
    assert GateInputs.from_json(GOOD.to_json()) == GOOD
    with pytest.raises(RegistryError, match="review.summary"):
        GateInputs.from_json('{"top_tier": 1}')


def test_a_model_that_sends_everything_to_small_fails_even_without_a_champion() -> None:
    collapsed = GateInputs(champion_version=None, top_tier="frontier", accuracy=(None, 0.7),
                           apgr=(None, 0.5), frontier_share=(None, 0.0),
                           tier_share={"small": 1.0, "medium": 0.0, "frontier": 0.0})  # fmt: skip
    results = check_gates(collapsed, ReviewGates())
    status = {g.name: g.status for g in results}
    assert status["tier_collapse"] == "fail"
    assert gate_counts(results).startswith("0 pass, 1 fail")  # the skipped ones are not passes


def test_gate_counts_never_count_a_skipped_gate_as_passed() -> None:
    alone = GateInputs(champion_version=None, top_tier="frontier", accuracy=(None, 0.8),
                       apgr=(None, 0.6), frontier_share=(None, 0.3))  # fmt: skip
    results = check_gates(alone, ReviewGates())
    assert all(g.status == "skip" for g in results)
    assert gate_counts(results) == f"0 pass, 0 fail, {len(results)} skipped"


def test_summaries_of_older_reviews_still_load() -> None:
    old = json.loads(GOOD.to_json())
    for key in ("macro_f1", "ece", "tier_share"):
        del old[key]
    inputs = GateInputs.from_json(json.dumps(old))
    assert inputs.macro_f1 == (None, None) and inputs.tier_share == {}
    assert _status(inputs, ReviewGates())["tier_collapse"] == "skip"
