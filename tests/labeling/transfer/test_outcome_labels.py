"""Outcome labels mean "the cheaper tier is not enough": a request no tier answers is
labelled cheapest, never frontier (labeling functions, soft labels, transfer targets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from labeling import run_labeling
from labeling.shared._soft_labels import SoftLabelConfig, soft_labels
from labeling.shared._sources import SourceItem
from labeling.transfer._benchmark import (
    c95,
    group_sources,
    item_targets,
    item_tier_probs,
    pick_pair,
    routing_rows,
)
from tests.labeling._replay_fixtures import write_outcomes


def test_tierroute_label_sends_unanswered_requests_to_the_cheapest_tier(tmp_path: Path) -> None:
    rows = [
        {"prompt": "Nobody answers this one correctly, a long hard puzzle", "small": 0,
         "medium": 0, "frontier": 0},
        {"prompt": "Only the frontier model answers this tricky question", "small": 0,
         "medium": 0, "frontier": 1},
        {"prompt": "The medium model is enough for this question here", "small": 0,
         "medium": 1, "frontier": 1},
    ]  # fmt: skip
    log = write_outcomes(tmp_path / "outcomes.csv", rows)
    run_labeling([log], tmp_path / "out")
    labels = pl.read_parquet(tmp_path / "out" / "labels.parquet")
    by_text = dict(zip(labels["text"].to_list(), labels["label"].to_list(), strict=True))
    assert by_text[rows[0]["prompt"]] == "small"
    assert by_text[rows[1]["prompt"]] == "frontier"
    assert by_text[rows[2]["prompt"]] == "medium"


def test_soft_labels_put_unsolved_mass_on_small_and_weigh_it_less() -> None:
    tiers = list(SoftLabelConfig().tier_models)
    hopeless = {f: 0.0 for f in tiers}
    needs_top = {tiers[0]: 0.0, tiers[1]: 0.0, tiers[2]: 1.0}
    config = SoftLabelConfig(method="tier_models")
    labels = soft_labels([hopeless, needs_top], config)
    assert labels.tier_probs[0].tolist() == [1.0, 0.0, 0.0]
    assert labels.tier_probs[1].tolist() == [0.0, 0.0, 1.0]
    assert labels.confidence[0] < labels.confidence[1]
    old = soft_labels([hopeless], SoftLabelConfig(method="tier_models", unsolved="frontier"))
    assert old.tier_probs[0].tolist() == [0.0, 0.0, 1.0]


def test_transfer_targets_count_a_tier_only_where_cheaper_models_fail() -> None:
    models = ["m1", "m2", "m3", "m4", "m5", "m6"]  # m1 weakest ... m6 strongest

    def item(text: str, solved_from: int) -> SourceItem:
        return SourceItem(text=text, source="llmrouter/t", family="t", outcomes={
            f"llmrouter:{m}": float(i >= solved_from) for i, m in enumerate(models)})  # fmt: skip

    items = [item("everyone", 0), item("strong only", 4), item("nobody", 9)]
    items += [item(f"filler {i}", i % 6) for i in range(30)]  # rank the models by ability
    (source,) = group_sources(items)
    probs = item_tier_probs(source)
    assert probs[0].tolist() == [1.0, 0.0, 0.0]  # the cheap third answers
    assert probs[1].tolist() == [0.0, 0.0, 1.0]  # only the strong third answers
    assert probs[2].tolist() == [1.0, 0.0, 0.0]  # nobody: cheapest, never frontier
    gain = item_targets(source, "gain")
    assert gain[1] == 1.0 and gain[0] == 0.0 and gain[2] == 0.0
    assert item_targets(source, "weak_fails")[2] == 1.0  # the old reading
    assert np.allclose(probs[3:].sum(axis=1), 1.0)


def test_transfer_pairs_fall_back_when_the_strong_model_shows_no_gap() -> None:
    def row(text: str, big: float, small: float) -> SourceItem:
        outcomes = {
            "llmrouter:llama-3.1-nemotron-51b-instruct": big,
            "llmrouter:llama-3.3-nemotron-super-49b-v1": big,
            "llmrouter:llama-3.1-8b-instruct": big,  # as good as the big ones here
            "llmrouter:mistral-7b-instruct-v0.3": small,
        }
        return SourceItem(text=text, source="llmrouter/qa", family="qa", outcomes=outcomes)

    (source,) = group_sources([row(f"q{i}", float(i % 2), 0.0) for i in range(20)])
    strong, weak = pick_pair(source)
    assert strong.startswith("llama-3") and "nemotron" in strong
    assert weak == "mistral-7b-instruct-v0.3"
    rows, table = routing_rows(source)
    perfect = table.strong_correct - table.weak_correct
    # half the rows need the strong model; 95 % of its quality = 95 % of those rows
    assert c95(perfect, table) == pytest.approx(0.475)
    assert c95(-perfect, table) == pytest.approx(0.975)  # the needy rows come last
