"""Builders of real-shaped log records for the labeling tests, and checks of a labeled
dataset's quarantine and counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from router import Attempt, DecisionRecord, FeedbackRecord


def openai_record(
    prompt: str,
    *,
    model: str = "mistral-7b-chat",
    answer: str = "Paris.",
    request_id: str | None = None,
    feedback: int | None = None,
    finish_reason: str = "stop",
    error: str | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "timestamp": "2026-10-01T12:00:00Z",
        "request": {"model": model, "messages": [{"role": "user", "content": prompt}]},
        "latency_ms": 321.5,
        "cost_usd": 0.0002,
        "metadata": {"tenant": "acme"},
    }
    if request_id is not None:
        record["request_id"] = request_id
    if feedback is not None:
        record["feedback"] = feedback
    if error is not None:
        record["response"] = None
        record["error"] = {"type": error}
        return record
    record["response"] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1790000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3},
    }
    return record


def write_jsonl(path: Path, records: list[dict[str, Any] | bytes]) -> Path:
    lines = [r if isinstance(r, bytes) else json.dumps(r).encode() for r in records]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def decision_log(path: Path) -> Path:
    """A decision log: one escalated request (small -> medium) and its thumbs-down."""
    attempts = (
        Attempt("openai/mistral-7b-chat", "small", "primary", "failed_check", 100.0),
        Attempt("openai/mixtral-8x7b-chat", "medium", "escalation", "ok", 300.0, cost_usd=0.001),
    )
    record = DecisionRecord(
        request_id="d1",
        timestamp="2026-10-01T00:00:00+00:00",
        prompt_sha256="x",
        decision={},
        attempts=attempts,
        status="ok",
        prompt="Prove the lemma.",
        final_model="openai/mixtral-8x7b-chat",
        final_tier="medium",
        escalations=1,
    )
    feedback = FeedbackRecord(request_id="d1", timestamp="2026-10-01T00:01:00+00:00", rating=-1)
    path.write_text(record.to_json() + "\n" + feedback.to_json() + "\n", encoding="utf-8")
    return path


def quarantined(out: Path) -> list[dict[str, Any]]:
    """The quarantined records of the dataset in ``out``."""
    lines = (out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def assert_invariant(card: dict[str, Any]) -> None:
    """Every input record is counted exactly once (the data card's equation)."""
    c = card["counts"]
    total = (
        c["labeled_groups"]
        + c["unlabeled_groups"]
        + c["duplicates"]
        + c["feedback_joined"]
        + c["quarantined"]
    )
    assert c["holds"] and total == c["input_records"]
