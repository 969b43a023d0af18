"""The decision-log record shape: serving writes it, labeling reads it.

One JSON object per line. ``type`` tells the record kind:

- ``decision``: one request: who asked, what was routed where, every attempt
  (model, latency, TTFT, tokens, cost, outcome), escalations and the final status;
- ``feedback``: a later user rating of a request, joined by ``request_id``.

``schema_version`` grows when a field is added; readers accept older versions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "LOG_SCHEMA_VERSION",
    "Attempt",
    "DecisionRecord",
    "FeedbackRecord",
    "parse_log_record",
    "prompt_sha256",
]

LOG_SCHEMA_VERSION = 3  # 2: conversation_id, user_turns; 3: decision.detector_turns
AttemptKind = Literal["primary", "fallback", "escalation"]
Outcome = Literal["ok", "error", "timeout", "rate_limited", "failed_check"]


def prompt_sha256(text: str) -> str:
    """Hex SHA-256 of the prompt text (UTF-8; lone surrogates kept as-is): the record's
    ``prompt_sha256`` and the key of a prompt in replay tables and judge caches."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """One call to one deployment while serving a request."""

    model: str
    tier: str
    kind: AttemptKind
    outcome: Outcome
    latency_ms: float
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None  # error class or failed check, e.g. "RateLimitError", "empty"


@dataclass(frozen=True)
class DecisionRecord:
    """What happened to one request. ``prompt`` is None when the log redacts prompts."""

    request_id: str
    timestamp: str  # ISO 8601, UTC
    prompt_sha256: str
    decision: dict[str, Any]  # Decision.to_dict(); "detector_turns" from schema 3 on
    attempts: tuple[Attempt, ...]
    status: Literal["ok", "error", "cancelled"]  # cancelled: the client went away
    tenant: str | None = None
    prompt: str | None = None
    response: str | None = None
    final_model: str | None = None
    final_tier: str | None = None
    escalations: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)
    # the conversation (client id or auto:<hash>, see router.auto_conversation_id) and the
    # user turns in the request; None in logs written before they were recorded
    conversation_id: str | None = None
    user_turns: int | None = None
    type: Literal["decision"] = "decision"
    schema_version: int = LOG_SCHEMA_VERSION

    def to_json(self) -> str:
        data = asdict(self)
        data["attempts"] = [asdict(a) for a in self.attempts]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class FeedbackRecord:
    """A user's rating of an earlier request: +1 (good) or -1 (bad)."""

    request_id: str
    timestamp: str
    rating: Literal[-1, 1]
    comment: str | None = None
    type: Literal["feedback"] = "feedback"
    schema_version: int = LOG_SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


def parse_log_record(data: dict[str, Any]) -> DecisionRecord | FeedbackRecord:
    """Build a record from one parsed JSON line; ValueError names the bad field."""
    kind = data.get("type")
    if kind == "decision":
        fields = _known(data, DecisionRecord)
        attempts = fields.get("attempts")
        if not isinstance(attempts, list):
            raise ValueError("attempts: expected a list")
        try:
            fields["attempts"] = tuple(Attempt(**_known(a, Attempt)) for a in attempts)
            return DecisionRecord(**fields)
        except TypeError as exc:
            raise ValueError(f"decision record: {exc}") from exc
    if kind == "feedback":
        fields = _known(data, FeedbackRecord)
        if fields.get("rating") not in (-1, 1):
            raise ValueError("rating: expected -1 or 1")
        try:
            return FeedbackRecord(**fields)
        except TypeError as exc:
            raise ValueError(f"feedback record: {exc}") from exc
    raise ValueError(f"type: expected 'decision' or 'feedback', got {kind!r}")


def _known(data: Any, cls: type) -> dict[str, Any]:
    """Keep the fields ``cls`` knows (newer writers may add fields)."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    names = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return {key: value for key, value in data.items() if key in names}
