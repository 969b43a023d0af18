"""Scrubbing, dedup, labeling functions, aggregation, splits, judge and the CLI."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from classifier import LABEL_COLUMNS, LABEL_SCHEMA, read_label_metadata
from labeling import LabelConfig, aggregate_votes, run_labeling, scrub_frame, split_of
from policies import default_policy
from router import estimate_tokens
from tests.fakes import FakeJudge
from tests.labeling._records import decision_log, openai_record, write_jsonl

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "logs"


def test_pii_is_scrubbed_per_kind() -> None:
    text = (
        "mail jane.doe@example.com, call +1 415-555-0134, card 4111 1111 1111 1111, "
        "key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t"
    )
    frame = pl.DataFrame(
        {"prompt": [text], "response": [None], "messages": ["[]"]},
        schema={"prompt": pl.String, "response": pl.String, "messages": pl.String},
    )
    counts: Counter[str] = Counter()
    out = scrub_frame(frame, counts)["prompt"][0]
    assert out == "mail <EMAIL>, call <PHONE>, card <CREDIT_CARD>, key <API_KEY>"
    assert counts == {"email": 1, "phone": 1, "credit_card": 1, "api_key": 1}


def test_pipeline_scrubs_by_default_and_can_keep_pii(tmp_path: Path) -> None:
    records = [openai_record("Email bob@corp.io now")] * 2 + [openai_record("Call 415-555-0134")]
    path = write_jsonl(tmp_path / "l.jsonl", records)
    scrubbed = run_labeling([path], tmp_path / "a")
    kept = run_labeling([path], tmp_path / "b", LabelConfig(scrub_pii=False))
    texts = set(pl.read_parquet(scrubbed.labels_path)["text"])
    assert texts == {"Email <EMAIL> now", "Call <PHONE>"}
    assert scrubbed.card["pii_redactions"] == {"email": 2, "phone": 1}  # per record
    assert "Email bob@corp.io now" in set(pl.read_parquet(kept.labels_path)["text"])


def test_scrubber_is_routers_pii_finder() -> None:
    from router import find_pii

    texts = [
        "card 4111 1111 1111 1112 fails Luhn",  # find_pii: not a card
        "order 2024-01-15 at 10:30, ref 12345678",
        "sk-learn-tutorial is not a key",
        "reach me at +44 20 7946 0958 or jo@ex.org",
    ]
    counts: Counter[str] = Counter()
    frame = pl.DataFrame({"prompt": texts})
    out = scrub_frame(frame, counts)["prompt"].to_list()
    expected = [sum(1 for _ in find_pii(t)) for t in texts]
    assert [t.count("<") for t in out] == expected
    assert out[3] == "reach me at <PHONE> or <EMAIL>"
    assert sum(counts.values()) == sum(expected)


def test_dedup_groups_case_and_whitespace_variants(tmp_path: Path) -> None:
    records = [
        openai_record("What is  the\ncapital of France?"),
        openai_record("what is the capital of france?"),
    ]
    path = write_jsonl(tmp_path / "l.jsonl", [*records, openai_record("Something else")])
    result = run_labeling([path], tmp_path / "out")
    labels = pl.read_parquet(result.labels_path)
    assert sorted(labels["n_records"].to_list()) == [1, 2]
    assert result.card["counts"]["duplicates"] == 1
    first = labels.filter(pl.col("n_records") == 2)["text"][0]
    assert first == "What is  the\ncapital of France?"  # the first record's text


def test_labels_have_exactly_the_contract_columns(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "l.jsonl", [openai_record("hi there")])
    labels_path = run_labeling([path], tmp_path / "out").labels_path
    labels = pl.read_parquet(labels_path)
    assert labels.columns == list(LABEL_COLUMNS)
    assert labels.schema == LABEL_SCHEMA
    meta = read_label_metadata(labels_path)  # the tier order travels with the file
    assert (meta.tiers, meta.contract_version) == (default_policy().tier_names, 2)


def test_split_is_stable_across_runs_and_input_order(tmp_path: Path) -> None:
    prompts = [f"question number {i} about topic {i % 7}" for i in range(200)]
    a = write_jsonl(tmp_path / "a.jsonl", [openai_record(p) for p in prompts])
    b = write_jsonl(tmp_path / "b.jsonl", [openai_record(p) for p in reversed(prompts)])
    first = pl.read_parquet(run_labeling([a], tmp_path / "o1").labels_path)
    second = pl.read_parquet(run_labeling([b], tmp_path / "o2").labels_path)
    assert dict(zip(first["group_id"], first["split"], strict=True)) == dict(
        zip(second["group_id"], second["split"], strict=True)
    )
    shares = Counter(split_of(f"g{i}") for i in range(10_000))
    assert 7600 < shares["train"] < 8400 and 800 < shares["val"] < 1200


def test_weighted_vote_math() -> None:
    votes = {
        "strong": pl.DataFrame({"vote": [0, 2, None], "conf": [0.9, 0.9, None]}),
        "weak": pl.DataFrame({"vote": [1, 2, None], "conf": [0.3, 0.3, None]}),
    }
    votes = {k: v.cast({"vote": pl.Int32, "conf": pl.Float64}) for k, v in votes.items()}
    out = aggregate_votes(votes, {"strong": 2.0, "weak": 1.0}, n_groups=3, n_tiers=3)
    probs = out["tier_probs"][0].to_list()
    assert probs == pytest.approx([1.8 / 2.1, 0.3 / 2.1, 0.0])
    assert out["label_index"].to_list()[:2] == [0, 2]
    assert out["confidence"][0] == pytest.approx(1.8 / 2.1 * (1 - math.exp(-2.1)))
    assert out["voters"].to_list() == [["strong", "weak"], ["strong", "weak"], []]
    tie = aggregate_votes(
        {"a": votes["strong"].with_columns(vote=pl.lit(0, pl.Int32)), "b": votes["strong"]},
        {"a": 1.0, "b": 1.0},
        n_groups=3,
        n_tiers=3,
    )
    assert tie["label_index"][1] == 2  # tie between small and frontier -> frontier


def test_record_functions_vote_from_feedback_errors_and_escalations(tmp_path: Path) -> None:
    log = write_jsonl(
        tmp_path / "l.jsonl",
        [
            openai_record("thumbs down on small", feedback=-1),
            openai_record("thumbs up on medium", model="mixtral-8x7b-chat", feedback=1),
            openai_record("truncated on small", finish_reason="length"),
            openai_record("failed on medium", model="mixtral-8x7b-chat", error="Timeout"),
        ],
    )
    result = run_labeling([log, decision_log(tmp_path / "d.jsonl")], tmp_path / "out")
    labels = pl.read_parquet(result.labels_path)
    got = dict(zip(labels["text"], labels["label"], strict=True))
    assert got == {
        "thumbs down on small": "medium",
        "thumbs up on medium": "medium",
        "truncated on small": "medium",
        "failed on medium": "frontier",
        # escalation (1.5 x 0.7 for medium) outweighs a thumbs down (1.0 x 0.6 for frontier)
        "Prove the lemma.": "medium",
    }
    assert result.card["counts"]["feedback_joined"] == 1


def test_text_functions_use_router_estimate_and_detectors() -> None:
    from labeling import LABELING_FUNCTIONS, TierMap
    from labeling._functions import clip
    from policies import default_policy
    from router import detect_code, detect_math, detect_sql

    tiers = TierMap.from_policy(default_policy())
    texts = [
        "hi",
        "word " * 63,
        "naïve café " * 200,
        "x" * 4096,
        "y" * 4100,
        "def add(a, b):\n    return a + b\nWhy is this slow?",
        "SELECT name FROM users WHERE id = 3 GROUP BY name",
        "Solve 2x + 3 = 7 for x.",
    ]
    groups = pl.DataFrame({"text": texts})
    length = LABELING_FUNCTIONS["length"].group_vote(groups, tiers)["vote"].to_list()
    tokens = [estimate_tokens(t) for t in texts]
    assert length[:5] == [0 if t < 64 else 1 if t <= 1024 else 2 for t in tokens[:5]]
    assert length[3:5] == [1, 2]
    for name, detect in (("code", detect_code), ("sql", detect_sql), ("math", detect_math)):
        votes = LABELING_FUNCTIONS[name].group_vote(groups, tiers)["vote"].to_list()
        assert votes == [1 if detect(clip(t)) else None for t in texts], name
        assert any(v is not None for v in votes), name


def test_judge_function_votes_once_per_distinct_prompt(tmp_path: Path) -> None:
    records = [openai_record("hard one"), openai_record("HARD one"), openai_record("skip me")]
    path = write_jsonl(tmp_path / "l.jsonl", records)
    judge = FakeJudge()
    result = run_labeling([path], tmp_path / "out", judge=judge)
    assert sorted(judge.seen) == ["hard one", "skip me"]
    labels = pl.read_parquet(result.labels_path)
    assert dict(zip(labels["text"], labels["label"], strict=True))["hard one"] == "frontier"
    assert result.card["judge"] == {"cost_usd": pytest.approx(0.002), "calls": 2, "cache_hits": 0}
    assert result.card["labeling_functions"]["llm_judge"]["coverage"] == 0.5


def test_cli_labels_the_example_logs(tmp_path: Path) -> None:
    from serving import app

    out = tmp_path / "ds"
    inputs = [str(p) for p in sorted(EXAMPLES.iterdir())]
    result = CliRunner().invoke(app, ["label", *inputs, "--out", str(out)])
    assert result.exit_code == 0, result.output
    labels = pl.read_parquet(out / "labels.parquet")
    assert labels.columns == list(LABEL_COLUMNS)
    card = json.loads((out / "datacard.json").read_text())
    assert card["counts"]["holds"] and card["counts"]["quarantined"] == 10
    assert set(card["records_by_source"]) >= {"openai_chat", "litellm_payload", "decisions"}
    assert {p.name for p in out.iterdir()} >= {"datacard.md", "label_distribution.png"}


def test_cli_exits_2_on_labeling_error(tmp_path: Path) -> None:
    from serving import app

    result = CliRunner().invoke(app, ["label", str(tmp_path / "missing.jsonl"), "--out", "x"])
    assert result.exit_code == 2
    assert "input not found" in result.output
