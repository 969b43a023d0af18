"""The one builder of decision-log records, for every endpoint that writes one.

``/v1/chat/completions`` (:class:`~serving.http._chat_call.ChatCall`), ``/v1/route``
and the pass-through endpoints all call :func:`decision_record`; it fills in what
every record shares: timestamp, prompt hash, tenant, conversation and the decision
(``Decision.to_dict()``; ``{}`` when nothing was routed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from router import Attempt, Decision, DecisionRecord
from serving._decision_log import prompt_sha256, utc_now_iso

if TYPE_CHECKING:
    from serving.http._auth import Principal
    from serving.http._conversations import Conversation

__all__ = ["decision_record", "last_user_text"]


def last_user_text(messages: Sequence[Any]) -> str:
    """The text of the last user message (a list of content parts joined by newlines)."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def decision_record(
    request_id: str,
    prompt: str,
    principal: Principal,
    *,
    metadata: dict[str, Any],
    decision: Decision | None = None,
    attempts: Sequence[Attempt] = (),
    status: Literal["ok", "error", "cancelled"] = "ok",
    response: str | None = None,
    final_model: str | None = None,
    final_tier: str | None = None,
    escalations: int = 0,
    conversation: Conversation | None = None,
) -> DecisionRecord:
    """The record of one request: ``prompt`` is the text the decision was made on."""
    return DecisionRecord(
        request_id=request_id,
        timestamp=utc_now_iso(),
        prompt_sha256=prompt_sha256(prompt),
        decision=decision.to_dict() if decision is not None else {},
        attempts=tuple(attempts),
        status=status,
        tenant=principal.tenant,
        prompt=prompt,
        response=response,
        final_model=final_model,
        final_tier=final_tier,
        escalations=escalations,
        metadata=metadata,
        conversation_id=conversation.id if conversation else None,
        user_turns=conversation.user_turns if conversation else None,
    )
