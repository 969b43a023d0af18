"""Each adapter on real-shaped records, and format detection."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from labeling import ADAPTERS, LabelConfig, Quarantine, ReadContext, TierMap, detect_format
from labeling._schema import RECORD_SCHEMA
from policies import default_policy
from tests.labeling._records import decision_log, openai_record, write_jsonl

DATA = Path(__file__).parent / "data"


def read_all(path: Path, fmt: str, tmp_path: Path) -> tuple[pl.DataFrame, Quarantine, list]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    tiers = TierMap.from_policy(default_policy())
    with Quarantine(tmp_path / "q.jsonl") as quarantine:
        ctx = ReadContext(tiers, quarantine)
        batches = list(ADAPTERS[fmt].read(path, ctx))
    feedback = [f for b in batches for f in b.feedback]
    return pl.concat(b.to_frame() for b in batches), quarantine, feedback


def test_tier_map_matches_litellm_and_routerbench_names() -> None:
    tiers = TierMap.from_policy(default_policy())
    assert tiers.tier_of("openai/mixtral-8x7b-chat") == "medium"
    assert tiers.tier_of("mistralai/mixtral-8x7b-chat") == "medium"
    assert tiers.tier_of("mistral-7b-chat") == "small"
    assert tiers.tier_of("gpt-4-1106-preview") == "frontier"
    assert tiers.tier_of("claude-v2") is None


def test_openai_adapter_normalizes_one_call(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "calls.jsonl",
        [openai_record("What is the capital of France?", request_id="r1", feedback=1)],
    )
    frame, quarantine, _ = read_all(path, "openai", tmp_path)
    assert frame.schema == pl.Schema(RECORD_SCHEMA)
    row = frame.row(0, named=True)
    assert row["prompt"] == "What is the capital of France?"
    assert row["response"] == "Paris."
    assert row["tier"] == "small" and row["status"] == "ok" and row["feedback"] == 1
    assert (row["input_tokens"], row["output_tokens"]) == (12, 3)
    assert row["timestamp"].year == 2026 and str(row["timestamp"].tzinfo) == "UTC"
    assert json.loads(row["messages"])[0]["role"] == "user"
    assert (row["source"], row["source_line"]) == ("calls", 1)
    assert quarantine.records == 0


def test_openai_batch_api_body_variant_and_error(tmp_path: Path) -> None:
    body = openai_record("hello")
    body["body"] = body.pop("request")
    failed = openai_record("hello again", error="RateLimitError")
    path = write_jsonl(tmp_path / "batch.jsonl", [body, failed])
    frame, _, _ = read_all(path, "openai", tmp_path)
    assert frame["status"].to_list() == ["ok", "error"]
    assert frame["error"].to_list() == [None, "RateLimitError"]


def test_litellm_adapter_reads_standard_logging_payload(tmp_path: Path) -> None:
    frame, quarantine, _ = read_all(DATA / "litellm_payload.jsonl", "litellm", tmp_path)
    assert frame.height == 2 and quarantine.records == 0
    row = frame.row(0, named=True)
    raw = json.loads((DATA / "litellm_payload.jsonl").read_text().splitlines()[0])
    assert row["request_id"] == raw["id"]
    assert row["cost_usd"] == pytest.approx(raw["response_cost"])
    assert row["latency_ms"] == pytest.approx((raw["endTime"] - raw["startTime"]) * 1000)
    assert row["tenant"] == raw["metadata"]["user_api_key_team_id"]
    assert row["tier"] in ("small", "medium", "frontier")


def test_decisions_adapter_keeps_escalation_and_feedback(tmp_path: Path) -> None:
    frame, _, feedback = read_all(decision_log(tmp_path / "dl.jsonl"), "decisions", tmp_path)
    row = frame.row(0, named=True)
    assert (row["first_tier"], row["tier"], row["latency_ms"]) == ("small", "medium", 400.0)
    assert feedback == [{"request_id": "d1", "rating": -1}]


def test_outcomes_adapter_parses_list_literal_prompts(tmp_path: Path) -> None:
    path = tmp_path / "bench.csv"
    pl.DataFrame(
        {
            "sample_id": ["a.1"],
            "prompt": [repr(["Which is bigger, 2 or 3?"])],
            "mistralai/mistral-7b-chat": ["0.0"],
            "mistralai/mixtral-8x7b-chat": ["1.0"],
            "gpt-4-1106-preview": ["1.0"],
            "gpt-4-1106-preview|total_cost": ["0.01"],
        }
    ).write_csv(path)
    frame, _, _ = read_all(path, "outcomes", tmp_path)
    row = frame.row(0, named=True)
    assert row["prompt"] == "Which is bigger, 2 or 3?"
    assert {o["tier"]: o["score"] for o in row["outcomes"]} == {
        "small": 0.0,
        "medium": 1.0,
        "frontier": 1.0,
    }


def test_detect_format_per_file(tmp_path: Path) -> None:
    openai = write_jsonl(tmp_path / "a.jsonl", [openai_record("hi")])
    assert detect_format(openai) == "openai"
    assert detect_format(DATA / "litellm_payload.jsonl") == "litellm"
    assert detect_format(decision_log(tmp_path / "d.jsonl")) == "decisions"
    assert detect_format(tmp_path / "x.csv") == "outcomes"
    zipped = tmp_path / "a.jsonl.gz"
    zipped.write_bytes(gzip.compress(openai.read_bytes()))
    assert detect_format(zipped) == "openai"


def test_unknown_format_name_is_rejected() -> None:
    from policies import LabelingError

    with pytest.raises(LabelingError, match="format"):
        LabelConfig(format="csv-ish")


def test_openai_bulk_path_matches_the_per_line_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import labeling._fastpath as fastpath

    log = Path(__file__).resolve().parents[2] / "examples" / "logs" / "openai_chat.jsonl"
    lines = log.read_bytes().splitlines()
    bad = [b'{"request": {"messages": [{"role": "user", "content": "Hi', b"[1]"]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines[:700] + bad + lines[700:]) + b"\n")
    bulk, q_bulk, _ = read_all(path, "openai", tmp_path / "a")
    monkeypatch.setattr(fastpath, "MIN_FAST_LINES", 10**9)
    slow, q_slow, _ = read_all(path, "openai", tmp_path / "b")
    assert bulk.height == len(lines) - 0 and q_bulk.records == q_slow.records == 2
    assert bulk.equals(slow)
