"""Per-record parsers: one parsed JSON object -> one normalized row (see ``_schema``).

Each raises :class:`RecordError` naming the bad field; the caller quarantines it.

Accepted shapes
---------------
``openai``: ``{"request": <chat.completions request body>, "response": <chat.completion
object or null>, "error": <str|object>?, "metadata": {"tenant"?, "user"?, "cost_usd"?,
"feedback"?}?, "latency_ms"?, "timestamp"? (ISO 8601 or epoch s), "cost_usd"?,
"feedback"? (-1|1), "request_id"?}``. The OpenAI Batch API variant with ``"body"``
in place of ``"request"`` (and ``"custom_id"``) is accepted too.

``litellm``: litellm's ``StandardLoggingPayload`` (custom-callback / GCS / S3 logging):
``id``, ``call_type``, ``model``, ``model_group``, ``messages``, ``response``,
``status`` ("success"/"failure"), ``error_str``, ``response_cost``, ``prompt_tokens``,
``completion_tokens``, ``startTime``/``endTime`` (epoch s), ``metadata``
(``user_api_key_team_id``, ``user_api_key_user_id``, ``user_api_key_hash``). Other
fields are ignored.

``decisions``: tierroute's decision log, via :func:`router.parse_log_record`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from labeling.ingest._reader import RecordError
from labeling.ingest._schema import TierMap
from router import DecisionRecord, estimate_tokens

__all__ = ["last_user_text", "parse_decision", "parse_litellm", "parse_openai"]


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = obj.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise RecordError(f"wrong type: {where}{key}: expected {names}")
    return value


def _epoch(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise RecordError(f"wrong type: {where}: expected ISO 8601 or epoch seconds")


def _content_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        return "\n".join(p for p in parts if isinstance(p, str)) or None
    return None


def last_user_text(messages: Any) -> str:
    """Text of the last user message; RecordError when there is none."""
    if isinstance(messages, str):
        return messages
    if not isinstance(messages, list) or not messages:
        raise RecordError("missing field: messages: expected a non-empty list")
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            text = _content_text(message.get("content"))
            if text is not None:
                return text
    raise RecordError("missing field: messages: no user turn with text content")


def _feedback(value: Any) -> int | None:
    if value is None:
        return None
    if value in (-1, 1) and not isinstance(value, bool):
        return int(value)
    raise RecordError("wrong type: feedback: expected -1 or 1")


def _choice(response: dict[str, Any]) -> tuple[str | None, str | None]:
    choices = _get(response, "choices", list, "response.")
    if not choices or not isinstance(choices[0], dict):
        return None, None
    message = choices[0].get("message") or {}
    text = _content_text(message.get("content")) if isinstance(message, dict) else None
    finish = choices[0].get("finish_reason")
    return text, finish if isinstance(finish, str) else None


def _tokens(usage: dict[str, Any], key: str, where: str) -> int | None:
    value = _get(usage, key, int, where)
    return None if value is None else int(value)


def parse_openai(obj: dict[str, Any], tiers: TierMap) -> dict[str, Any]:
    request = obj.get("request", obj.get("body"))
    if not isinstance(request, dict):
        raise RecordError("missing field: request: expected the chat.completions request body")
    messages = request.get("messages")
    prompt = last_user_text(messages)
    response = _get(obj, "response", dict, "")
    error = obj.get("error")
    if response is None and error is None:
        raise RecordError("missing field: response: neither a response nor an error")
    response = response or {}
    text, finish = _choice(response)
    usage = _get(response, "usage", dict, "response.") or {}
    metadata = _get(obj, "metadata", dict, "") or {}
    model = _get(response, "model", str, "response.") or _get(request, "model", str, "request.")
    tier = tiers.tier_of(model)
    stamp = _epoch(obj.get("timestamp"), "timestamp") or _epoch(response.get("created"), "created")
    return {
        "request_id": obj.get("request_id") or obj.get("custom_id") or response.get("id"),
        "timestamp": stamp,
        "tenant": metadata.get("tenant") or metadata.get("user") or request.get("user"),
        "messages": _json(messages),
        "prompt": prompt,
        "model": model,
        "response": text,
        "input_tokens": _first_set(
            _tokens(usage, "prompt_tokens", "usage."), estimate_tokens(prompt)
        ),
        "output_tokens": _tokens(usage, "completion_tokens", "usage."),
        "latency_ms": _get(obj, "latency_ms", (int, float), ""),
        "cost_usd": _first_set(_get(obj, "cost_usd", (int, float), ""), metadata.get("cost_usd")),
        "status": "error" if error is not None else "ok",
        "error": None if error is None else _error_text(error),
        "feedback": _feedback(obj.get("feedback", metadata.get("feedback"))),
        "tier": tier,
        "first_tier": tier,
        "finish_reason": finish,
    }


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _first_set(value: Any, default: Any) -> Any:
    return default if value is None else value


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("type") or error.get("message") or error)
    return str(error)


def parse_litellm(obj: dict[str, Any], tiers: TierMap) -> dict[str, Any]:
    prompt = last_user_text(obj.get("messages"))
    response = obj.get("response")
    text, finish = _choice(response) if isinstance(response, dict) else (None, None)
    if isinstance(response, str):
        text = response
    status = _get(obj, "status", str, "")
    if status not in ("success", "failure"):
        raise RecordError("wrong type: status: expected 'success' or 'failure'")
    start = _epoch(obj.get("startTime"), "startTime")
    end = _epoch(obj.get("endTime"), "endTime")
    metadata = _get(obj, "metadata", dict, "") or {}
    model = _get(obj, "model", str, "")
    tier = tiers.tier_of(model) or tiers.tier_of(obj.get("model_group"))
    messages = obj.get("messages")
    return {
        "request_id": _get(obj, "id", str, ""),
        "timestamp": start,
        "tenant": metadata.get("user_api_key_team_id")
        or metadata.get("user_api_key_user_id")
        or metadata.get("user_api_key_hash"),
        "messages": _json(messages),
        "prompt": prompt,
        "model": model,
        "response": text,
        "input_tokens": _tokens(obj, "prompt_tokens", ""),
        "output_tokens": _tokens(obj, "completion_tokens", ""),
        "latency_ms": None if start is None or end is None else (end - start) * 1000.0,
        "cost_usd": _get(obj, "response_cost", (int, float), ""),
        "status": "ok" if status == "success" else "error",
        "error": obj.get("error_str") if status == "failure" else None,
        "feedback": None,
        "tier": tier,
        "first_tier": tier,
        "finish_reason": finish,
    }


def parse_decision(record: DecisionRecord, tiers: TierMap) -> dict[str, Any]:
    if record.status == "cancelled":
        raise RecordError("cancelled: the client went away before the answer (no outcome)")
    if record.prompt is None:
        raise RecordError("missing field: prompt: redacted in the decision log")
    attempts = record.attempts
    tier = record.final_tier or tiers.tier_of(record.final_model)
    costs = [a.cost_usd for a in attempts if a.cost_usd is not None]
    last = attempts[-1] if attempts else None
    return {
        "request_id": record.request_id,
        "timestamp": _epoch(record.timestamp, "timestamp"),
        "tenant": record.tenant,
        "messages": _json([{"role": "user", "content": record.prompt}]),
        "prompt": record.prompt,
        "model": record.final_model,
        "response": record.response,
        "input_tokens": last.input_tokens if last else None,
        "output_tokens": sum(a.output_tokens or 0 for a in attempts) if attempts else None,
        "latency_ms": sum(a.latency_ms for a in attempts) if attempts else None,
        "cost_usd": sum(costs) if costs else None,
        "status": record.status,
        "error": next((a.error for a in reversed(attempts) if a.error), None),
        "feedback": None,
        "tier": tier,
        "first_tier": attempts[0].tier if attempts else tier,
        "finish_reason": None,
        "conversation": record.conversation_id,
        "user_turns": record.user_turns,
    }
