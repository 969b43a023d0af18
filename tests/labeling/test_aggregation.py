"""Aggregation: the weighted vote's --weights, the label model, their CLI flags."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from labeling import AGGREGATORS, LabelConfig, run_labeling
from labeling._label_model import MIN_GAIN, MIN_TRAIN, LabelModel, vote_matrix
from policies import LabelingError
from tests.labeling._records import openai_record, write_jsonl


def votes_frame(votes: list[int | None], conf: float) -> pl.DataFrame:
    given = [None if v is None else conf for v in votes]
    return pl.DataFrame(
        {"vote": votes, "conf": given}, schema={"vote": pl.Int32, "conf": pl.Float64}
    )


def synthetic_votes(n: int = 120) -> dict[str, pl.DataFrame]:
    """``outcome`` covers the first 2/3; ``oracle`` agrees with it; ``noise`` is random."""
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, size=n)
    covered = np.arange(n) < 2 * n // 3
    return {
        "outcome": votes_frame(
            [int(t) if c else None for t, c in zip(truth, covered, strict=True)], 0.9
        ),
        "oracle": votes_frame([int(t) for t in truth], 0.4),
        "noise": votes_frame([int(v) for v in rng.integers(0, 3, size=n)], 0.4),
    }


def test_label_model_learns_which_function_to_trust() -> None:
    votes = synthetic_votes()
    weights = {"outcome": 2.0, "oracle": 0.3, "noise": 0.3}
    out = LabelModel().aggregate(votes, weights, 120, 3)
    report = out.report
    assert report["fitted"] and report["used"] and report["trained_on"] == 80
    learned = report["learned_weights"]
    assert learned["oracle"] > 1.0 > abs(learned["noise"])
    assert report["cv_accuracy"] > 0.9 > report["majority_share"]
    uncovered = out.frame["label_index"].to_list()[80:]
    assert uncovered == votes["oracle"]["vote"].to_list()[80:]
    # the weighted vote leaves ties between oracle and noise to the more capable tier
    vote = AGGREGATORS["vote"].aggregate(votes, weights, 120, 3).frame
    assert vote["label_index"].to_list()[80:] != uncovered


def test_label_model_keeps_the_weighted_vote_without_enough_anchor_votes() -> None:
    votes = synthetic_votes()
    few = votes["outcome"]["vote"].to_list()[: MIN_TRAIN - 1] + [None] * (121 - MIN_TRAIN)
    votes["outcome"] = votes_frame(few, 0.9)
    weights = {"outcome": 2.0, "oracle": 0.3, "noise": 0.3}
    out = LabelModel().aggregate(votes, weights, 120, 3)
    assert not out.report["fitted"] and "needs" in out.report["reason"]
    expected = AGGREGATORS["vote"].aggregate(votes, weights, 120, 3).frame
    assert out.frame.equals(expected)


def test_label_model_that_learns_nothing_is_not_used() -> None:
    votes = synthetic_votes()
    del votes["oracle"], votes["noise"]
    votes["constant"] = votes_frame([1] * 120, 0.4)  # votes medium whatever the prompt
    weights = {"outcome": 2.0, "constant": 0.3}
    out = LabelModel().aggregate(votes, weights, 120, 3)
    assert out.report["fitted"] and not out.report["used"]
    assert "commonest tier" in out.report["reason"]
    assert out.frame.equals(AGGREGATORS["vote"].aggregate(votes, weights, 120, 3).frame)


def test_vote_matrix_puts_confidence_at_function_and_tier() -> None:
    votes = {"a": votes_frame([2, None], 0.5), "b": votes_frame([None, 0], 0.25)}
    matrix = vote_matrix(votes, ["a", "b"], 3)
    assert matrix.tolist() == [[0, 0, 0.5, 0, 0, 0], [0, 0, 0, 0.25, 0, 0]]


def test_weights_change_the_vote(tmp_path: Path) -> None:
    # thumbs down on small (feedback: medium) and a short prompt (length: small)
    path = write_jsonl(tmp_path / "l.jsonl", [openai_record("hello there", feedback=-1)])
    default = run_labeling([path], tmp_path / "a", workers=0)
    muted = run_labeling([path], tmp_path / "b", LabelConfig(weights={"feedback": 0.0}))
    assert pl.read_parquet(default.labels_path)["label"].to_list() == ["medium"]
    assert pl.read_parquet(muted.labels_path)["label"].to_list() == ["small"]
    assert muted.card["aggregation"]["weights"]["feedback"] == 0.0


@pytest.mark.parametrize(
    ("weights", "message"),
    [({"nope": 1.0}, "unknown function"), ({"length": -1.0}, ">= 0")],
)
def test_bad_weights_are_rejected(weights: dict[str, float], message: str) -> None:
    with pytest.raises(LabelingError, match=message):
        LabelConfig(weights=weights)


def test_cli_aggregate_model_and_weights_on_the_example_logs(tmp_path: Path) -> None:
    from serving import app

    examples = Path(__file__).resolve().parents[2] / "examples" / "logs"
    inputs = [str(p) for p in sorted(examples.iterdir())]
    args = ["label", *inputs, "--out", str(tmp_path / "ds"), "--aggregate", "model"]
    result = CliRunner().invoke(app, [*args, "--weights", "length=0.2", "--workers", "0"])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "ds" / "datacard.json").read_text())
    aggregation = card["aggregation"]
    assert aggregation["method"] == "model" and aggregation["fitted"]
    assert aggregation["trained_on"] >= MIN_TRAIN
    # on the example log the heuristics do not predict the outcome tiers: vote kept
    assert aggregation["used"] == (
        aggregation["cv_accuracy"] >= aggregation["majority_share"] + MIN_GAIN
    )
    assert set(aggregation["learned_weights"]) >= {"length", "code", "feedback"}
    assert "Learned weight per function" in (tmp_path / "ds" / "datacard.md").read_text()
    assert card["counts"]["holds"]


def test_cli_rejects_an_unknown_aggregator(tmp_path: Path) -> None:
    from serving import app

    log = write_jsonl(tmp_path / "l.jsonl", [openai_record("hi")])
    args = ["label", str(log), "--out", str(tmp_path / "o"), "--aggregate", "magic"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "aggregate" in result.output
