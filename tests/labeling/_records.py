"""Builders of real-shaped log records for the labeling tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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
