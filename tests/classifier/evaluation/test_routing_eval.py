"""PGR curve, APGR and CPT on toy tables with hand-computed answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier import RouterBenchRow
from classifier.evaluation import RoutingTable, apgr, cpt, load_routerbench_table, routing_curve
from classifier.evaluation._routing import (
    oracle_strong_score,
    prompt_text,
    random_router_apgr,
    strong_scores,
    summarize_routing,
)
from policies import ClassifierError


def toy_table() -> RoutingTable:
    # strong right on 0, 1, 2; weak right only on 1 -> strong .75, weak .25, gap .5
    return RoutingTable(
        prompts=("a", "b", "c", "d"),
        sources=("t",) * 4,
        strong_correct=np.array([1.0, 1.0, 1.0, 0.0]),
        weak_correct=np.array([0.0, 1.0, 0.0, 0.0]),
        strong_cost=np.array([0.010, 0.010, 0.010, 0.010]),
        weak_cost=np.array([0.001, 0.001, 0.001, 0.001]),
    )


def test_toy_curve_apgr_and_cpt_by_hand() -> None:
    # order by score: a (+1), c (+1), b (0), d (0)
    curve = routing_curve([0.9, 0.5, 0.7, 0.1], toy_table())
    assert curve.strong_share.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve.quality.tolist() == pytest.approx([0.25, 0.5, 0.75, 0.75, 0.75])
    assert curve.pgr.tolist() == pytest.approx([0.0, 0.5, 1.0, 1.0, 1.0])
    assert curve.cost.tolist() == pytest.approx([0.004, 0.013, 0.022, 0.031, 0.040])
    # area: .25*(0+.5)/2 + .25*(.5+1)/2 + .5*1
    assert apgr(curve) == pytest.approx(0.0625 + 0.1875 + 0.5)
    assert cpt(curve, 0.5) == pytest.approx(0.25)
    assert cpt(curve, 0.8) == pytest.approx(0.25 + 0.3 / 0.5 * 0.25)  # linear in between
    summary = summarize_routing(curve)
    assert (summary.cpt50, summary.cpt80) == pytest.approx((0.25, 0.4))
    assert summary.cost_at_cpt50 == pytest.approx(0.013)
    assert summary.cost_at_cpt80 == pytest.approx(0.013 + 0.6 * 0.009)  # 60 % of step 2


def test_tied_scores_are_one_step_the_expected_random_order() -> None:
    # b and c tie: the curve jumps from 1 to 3 strong calls in one straight segment
    curve = routing_curve([0.9, 0.5, 0.5, 0.1], toy_table())
    assert curve.strong_share.tolist() == [0.0, 0.25, 0.75, 1.0]
    assert apgr(curve) == pytest.approx(0.0625 + 0.5 * (0.5 + 1.0) / 2 + 0.25)


def test_constant_score_is_the_random_router() -> None:
    curve = routing_curve(np.zeros(4), toy_table())
    assert curve.strong_share.tolist() == [0.0, 1.0]
    assert apgr(curve) == pytest.approx(0.5)
    assert cpt(curve, 0.8) == pytest.approx(0.8)


def random_table(n: int = 400, seed: int = 1) -> RoutingTable:
    rng = np.random.default_rng(seed)
    strong = (rng.random(n) < 0.85).astype(float)
    weak = (rng.random(n) < 0.6).astype(float)
    return RoutingTable(
        prompts=tuple(str(i) for i in range(n)),
        sources=("t",) * n,
        strong_correct=strong,
        weak_correct=weak,
        strong_cost=np.full(n, 0.01),
        weak_cost=np.full(n, 0.001),
    )


def test_perfect_beats_random_beats_inverted() -> None:
    table = random_table()
    perfect = apgr(routing_curve(oracle_strong_score(table), table))
    inverted = apgr(routing_curve(-oracle_strong_score(table), table))
    random = random_router_apgr(table)
    assert perfect > 0.9
    assert random == pytest.approx(0.5, abs=0.05)
    assert inverted < 0.1
    assert perfect > random > inverted


def test_endpoints_are_weak_only_and_strong_only() -> None:
    table = random_table()
    curve = routing_curve(np.random.default_rng(0).random(table.n), table)
    assert curve.quality[0] == pytest.approx(table.weak_quality)
    assert curve.quality[-1] == pytest.approx(table.strong_quality)
    assert curve.cost[0] == pytest.approx(table.weak_cost.sum())
    assert curve.cost[-1] == pytest.approx(table.strong_cost.sum())
    assert (curve.pgr[0], curve.pgr[-1]) == pytest.approx((0.0, 1.0))


def test_strong_scores_from_tier_probabilities() -> None:
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    assert strong_scores(probs, "frontier").tolist() == pytest.approx([0.1, 0.6])
    assert strong_scores(probs, "complexity").tolist() == pytest.approx([0.2, 0.75])
    with pytest.raises(ClassifierError, match="mode"):
        strong_scores(probs, "median")


def test_bad_scores_and_equal_models_are_rejected() -> None:
    table = toy_table()
    with pytest.raises(ClassifierError, match="one score per routing row"):
        routing_curve([0.1, 0.2], table)
    with pytest.raises(ClassifierError, match="nan"):
        routing_curve([0.1, np.nan, 0.3, 0.4], table)
    same = RoutingTable(
        prompts=("a", "b"),
        sources=("t", "t"),
        strong_correct=np.array([1.0, 0.0]),
        weak_correct=np.array([0.0, 1.0]),
        strong_cost=np.ones(2),
        weak_cost=np.ones(2),
    )
    with pytest.raises(ClassifierError, match="PGR is undefined"):
        routing_curve([0.0, 1.0], same)


def test_routerbench_test_rows(shared_data: Path) -> None:
    table = load_routerbench_table("test", Path(shared_data))
    assert table.n > 900
    assert table.strong_model == "gpt-4-1106-preview"
    assert table.strong_quality > table.weak_quality
    assert table.strong_cost.sum() > 10 * table.weak_cost.sum()
    assert {"arc-challenge", "mbpp", "winogrande"} <= set(table.sources)


def _row(source: str, prompt: str) -> RouterBenchRow:
    return RouterBenchRow("s1", source, "test", prompt, {}, {}, {})


def test_question_view_keeps_the_last_block_of_few_shot_prompts() -> None:
    few_shot = "Q: demo one\nA: 1\n\nQ: demo two\nA: 2\n\nQ: the real question?\nA:"
    assert prompt_text(_row("arc-challenge", few_shot)) == "Q: the real question?\nA:"
    assert prompt_text(_row("arc-challenge", few_shot), "full") == few_shot
    code = "Write a function.\n\nassert f(1) == 2"
    assert prompt_text(_row("mbpp", code)) == code  # single-shot: kept whole
    with pytest.raises(ClassifierError, match="prompt view"):
        prompt_text(_row("mbpp", code), "last")
