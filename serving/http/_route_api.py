"""``POST /v1/route``: the decision only, nothing is called.

A single prompt (or ``messages``) is one request of a conversation (sticky tiers
apply); ``prompts`` is a batch of independent requests, at most ``max_route_batch``
(413 beyond). Scoring runs in the runtime's CPU pool, off the event loop, and is
dropped when the client leaves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from router import Decision, DecisionRecord
from serving._auth import Principal
from serving._chat import principal_of, request_id_of
from serving._chat_call import decision_dict, last_user_text
from serving._conversations import Conversation, conversation_of
from serving._decision_log import prompt_sha256, utc_now_iso
from serving._guards import cancel_on_disconnect
from serving._openai_api import ApiError, RouteRequest, parse_body

if TYPE_CHECKING:
    from serving._app import Runtime

__all__ = ["add_route_api", "route_record"]


def route_record(
    request_id: str,
    prompt: Any,
    decision: Decision,
    principal: Principal,
    conversation: Conversation | None = None,
) -> DecisionRecord:
    """The log record of a ``/v1/route`` decision (no attempts: nothing was called)."""
    text = prompt if isinstance(prompt, str) else last_user_text(list(prompt))
    return DecisionRecord(
        request_id=request_id,
        timestamp=utc_now_iso(),
        prompt_sha256=prompt_sha256(text),
        decision=decision_dict(decision),
        attempts=(),
        status="ok",
        tenant=principal.tenant,
        prompt=text,
        metadata={"endpoint": "/v1/route"},
        conversation_id=conversation.id if conversation else None,
        user_turns=conversation.user_turns if conversation else None,
    )


async def route(request: Request) -> Response:
    """``POST /v1/route``: prompt | messages | prompts (+ metadata) -> Decision JSON."""
    runtime: Runtime = request.app.state.runtime
    principal = await principal_of(request)
    body = await parse_body(request, RouteRequest)
    router = runtime.snapshot().router
    batch = body.prompts is not None
    prompts: list[Any] = list(body.prompts or [body.prompt or body.messages or ""])
    limit = runtime.settings.max_route_batch
    if len(prompts) > limit:
        raise ApiError(
            413,
            f"prompts: {len(prompts)} prompts in one request; the limit is {limit} "
            "(setting max_route_batch): send them in smaller batches",
            code="batch_too_large",
            param="prompts",
        )
    meta = body.metadata or {}
    batch_meta = [meta] * len(prompts)
    work = runtime.cpu.run(router.route_batch, prompts, metadata=batch_meta)
    decisions = await cancel_on_disconnect(request, work)
    conversation = None  # a batch is many requests, not one conversation's turn
    if not batch:
        conversation = conversation_of(request, prompts[0], principal.tenant, meta)
        await runtime.conversations.aload(conversation)
        decisions[0] = runtime.conversations.route_turn(router, decisions[0], conversation)
        await runtime.conversations.flush()
    rid = request_id_of(request)
    data = [decision_dict(d) for d in decisions]
    for item in data:
        runtime.metrics.observe_decision(item)
    if runtime.log is not None and runtime.settings.log_route_requests:
        for i, (prompt, decision) in enumerate(zip(prompts, decisions, strict=True)):
            rid_i = f"{rid}-{i}" if batch else rid
            record = route_record(rid_i, prompt, decision, principal, conversation)
            await runtime.log.awrite(record)
    headers = {"x-tierroute-request-id": rid}
    if batch:
        return JSONResponse({"decisions": data}, headers=headers)
    return JSONResponse(data[0], headers=headers)


def add_route_api(app: FastAPI) -> None:
    app.router.add_route("/v1/route", route, methods=["POST"])
