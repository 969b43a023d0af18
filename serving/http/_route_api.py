"""``POST /v1/route``: the decision only, nothing is called.

A single prompt (or ``messages``) is one request of a conversation (sticky tiers
apply); ``prompts`` is a batch of independent requests, at most ``max_route_batch``
(413 beyond). Scoring runs in the runtime's CPU pool, off the event loop, and is
dropped when the client leaves.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from serving.http._conversations import conversation_of
from serving.http._guards import cancel_on_disconnect
from serving.http._openai_api import ApiError, RouteRequest, parse_body
from serving.http._record import decision_record, last_user_text
from serving.http._runtime import principal_of, request_id_of, runtime_of

__all__ = ["add_route_api"]


async def route(request: Request) -> Response:
    """``POST /v1/route``: prompt | messages | prompts (+ metadata) -> Decision JSON."""
    runtime = runtime_of(request)
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
    data = [d.to_dict() for d in decisions]
    for item in data:
        runtime.metrics.observe_decision(item)
    if runtime.log is not None and runtime.settings.log_route_requests:
        for i, (prompt, decision) in enumerate(zip(prompts, decisions, strict=True)):
            rid_i = f"{rid}-{i}" if batch else rid
            text = prompt if isinstance(prompt, str) else last_user_text(list(prompt))
            record = decision_record(
                rid_i,
                text,
                principal,
                metadata={"endpoint": "/v1/route"},
                decision=decision,
                conversation=conversation,
            )
            await runtime.log.awrite(record)
    headers = {"x-tierroute-request-id": rid}
    if batch:
        return JSONResponse({"decisions": data}, headers=headers)
    return JSONResponse(data[0], headers=headers)


def add_route_api(app: FastAPI) -> None:
    app.router.add_route("/v1/route", route, methods=["POST"])
