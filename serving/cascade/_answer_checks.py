"""Answer checks: is a cheaper tier's answer good enough to return?

Each check looks at one chat.completion body and the request parameters and says why
the answer fails, or nothing. They run in order; the first failure wins:

- ``empty``: no text and no tool calls;
- ``refusal``: the model declined (the ``refusal`` field, or an opening such as
  "I'm sorry, but I can't");
- ``length``: cut off by the backend's own limit (``finish_reason == "length"`` when
  the client set no ``max_tokens``: a client's own limit cuts every tier alike);
- ``invalid_json``: ``response_format`` asks for JSON and the text does not parse.

Streaming can only check the first characters before they are sent
(:meth:`AnswerChecks.check_prefix`): empty, refusal, and a JSON answer that does
not start with ``{`` or ``[``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from serving._settings import DEFAULT_REFUSAL_PATTERNS

__all__ = ["AnswerChecks", "Verdict"]


@dataclass(frozen=True)
class Verdict:
    """Why an answer failed: a short reason code (logged as the attempt's error)."""

    reason: str


@dataclass(frozen=True)
class _Answer:
    text: str
    finish_reason: str | None
    has_tool_calls: bool
    refusal: str | None


def _answer(body: dict[str, Any]) -> _Answer:
    choices = body.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    content = message.get("content")
    return _Answer(
        text=content if isinstance(content, str) else "",
        finish_reason=choice.get("finish_reason"),
        has_tool_calls=bool(message.get("tool_calls") or message.get("function_call")),
        refusal=message.get("refusal") or None,
    )


def wants_json(params: dict[str, Any]) -> bool:
    response_format = params.get("response_format") or {}
    return isinstance(response_format, dict) and response_format.get("type") in (
        "json_object",
        "json_schema",
    )


class AnswerChecks:
    """The checks, with the refusal patterns compiled once."""

    def __init__(self, refusal_patterns: Sequence[str] = DEFAULT_REFUSAL_PATTERNS) -> None:
        self._refusal = re.compile("|".join(f"(?:{p})" for p in refusal_patterns), re.IGNORECASE)
        self._checks: tuple[Callable[[_Answer, dict[str, Any]], str | None], ...] = (
            self._empty,
            self._refused,
            self._truncated,
            self._invalid_json,
        )

    def check(self, body: dict[str, Any], params: dict[str, Any]) -> Verdict | None:
        """The first failed check of a complete answer, or None when it passes."""
        answer = _answer(body)
        for check in self._checks:
            reason = check(answer, params)
            if reason is not None:
                return Verdict(reason)
        return None

    def check_prefix(
        self, text: str, params: dict[str, Any], *, ended: bool, has_tool_calls: bool = False
    ) -> Verdict | None:
        """Checks that a streamed answer's first characters can already fail."""
        if has_tool_calls:
            return None
        if ended and not text.strip():
            return Verdict("empty")
        if text and self._refusal.search(text[:400]):
            return Verdict("refusal")
        stripped = text.lstrip()
        if wants_json(params) and stripped and stripped[0] not in "{[":
            return Verdict("invalid_json")
        return None

    @staticmethod
    def _empty(answer: _Answer, params: dict[str, Any]) -> str | None:
        if answer.has_tool_calls or answer.text.strip():
            return None
        return "empty"

    def _refused(self, answer: _Answer, params: dict[str, Any]) -> str | None:
        if answer.refusal or (answer.text and self._refusal.search(answer.text[:400])):
            return "refusal"
        return None

    @staticmethod
    def _truncated(answer: _Answer, params: dict[str, Any]) -> str | None:
        client_limit = params.get("max_tokens") or params.get("max_completion_tokens")
        if answer.finish_reason == "length" and not client_limit:
            return "length"
        return None

    @staticmethod
    def _invalid_json(answer: _Answer, params: dict[str, Any]) -> str | None:
        if not wants_json(params) or answer.has_tool_calls:
            return None
        try:
            json.loads(answer.text)
        except ValueError:
            return "invalid_json"
        return None
