"""``POST /v1/chat/completions``: resolve the model, run the cascade, answer, log.

``model`` decides what happens:

- ``tierroute/auto`` (or ``auto``): the router decides; the cascade may escalate;
- ``tierroute/<tier>``: that tier only (its deployments in order, no cascade);
- any other string: passed through unchanged: to the policy deployment with that
  model name, else (``passthrough`` setting) straight to litellm.

Every routed or passed-through request writes one decision-log record before the
client sees the end of the answer (non-streaming: before the response; streaming:
before ``data: [DONE]``), so an answer a client received always has its record.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from policies import PromptError
from router import DecisionRecord, estimate_tokens
from serving.cascade import CLIENT_GONE, CascadeError, OpenStream, Outcome, Plan, open_stream
from serving.http._chat_call import ChatCall
from serving.http._conversations import conversation_of
from serving.http._gateway import admit
from serving.http._guards import ClientGone, cancel_on_disconnect
from serving.http._openai_api import ApiError, ChatCompletionRequest, error_body, parse_body
from serving.http._record import last_user_text
from serving.http._runtime import principal_of, request_id_of, runtime_of
from serving.http._spend import COST_HEADER, format_cost, request_cost

if TYPE_CHECKING:
    pass

__all__ = ["add_chat_routes"]


def _check_encodable(messages: list[dict[str, Any]]) -> None:
    """Lone surrogates cannot be sent to a backend as UTF-8: a 400 that says where."""
    for i, message in enumerate(messages):
        try:
            json.dumps(message, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise PromptError(
                f"messages[{i}]: contains an unpaired surrogate {exc.object[exc.start : exc.end]!r}"
                " that is not valid UTF-8"
            ) from exc


def _usage(call: ChatCall, outcome: Outcome) -> dict[str, Any]:
    usage = (outcome.body or {}).get("usage")
    if isinstance(usage, dict) and usage.get("completion_tokens") is not None:
        return usage
    prompt = call.decision.input_tokens if call.decision else 0
    completion = estimate_tokens(outcome.text) if outcome.text else 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


async def _complete(call: ChatCall, plan: Plan) -> Response:
    cascade = call.runtime.cascade_for(call.state.policy)
    params = call.body.backend_params()
    try:
        outcome = await cascade.run(plan, call.messages, params, attempts=call.attempts)
    except CascadeError as exc:
        await call.log(
            call.record(list(exc.attempts), target=None, text=None, escalations=0, error=str(exc))
        )
        raise
    raw = outcome.body or {}
    target = outcome.target
    assert target is not None
    cost = request_cost(outcome.attempts)
    body = {
        "id": f"chatcmpl-{call.request_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": target.model,
        "choices": raw.get("choices") or [],
        "usage": {**_usage(call, outcome), "cost": cost},
        "system_fingerprint": raw.get("system_fingerprint"),
    }
    record = call.record(
        outcome.attempts,
        target=target,
        text=outcome.text,
        escalations=outcome.escalations,
        failed_check=outcome.failed_check,
    )
    await call.log(record)
    headers = call.headers(target, outcome.escalations)
    headers[COST_HEADER] = headers["x-litellm-response-cost"] = format_cost(cost)
    return JSONResponse(body, headers=headers)


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _sse(call: ChatCall, opened: OpenStream) -> AsyncIterator[str]:
    created = int(time.time())
    head: dict[str, Any] = {"id": f"chatcmpl-{call.request_id}", "object": "chat.completion.chunk"}
    head |= {"created": created, "model": opened.target.model}
    done = False
    try:
        async for delta, finish in opened.chunks():
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            yield _event({**head, "choices": [choice]})
        if opened.error:
            message = f"the upstream stream of {opened.target.model} broke: {opened.error}"
            yield _event(error_body(message, "api_error", "stream_interrupted"))
        elif call.body.wants_usage_chunk:
            usage = opened.usage or _usage(call, Outcome({"choices": []}, opened.target))
            opened.finish()  # the last attempt's usage is in: the request's cost is known
            usage = {**usage, "cost": request_cost(opened.attempts)}
            yield _event({**head, "choices": [], "usage": usage})
        await call.log(_stream_record(call, opened))
        done = True
        yield "data: [DONE]\n\n"
    finally:
        if not done:  # the client went away (or sending failed): still log the request
            cancelled = opened.error in (None, CLIENT_GONE)
            opened.error = opened.error or CLIENT_GONE
            opened.finish()
            call.log_now(_stream_record(call, opened, cancelled=cancelled))
            with anyio.CancelScope(shield=True):  # close the upstream even when cancelled
                await opened.close()


def _stream_record(
    call: ChatCall, opened: OpenStream, *, cancelled: bool = False
) -> DecisionRecord:
    opened.finish()
    return call.record(
        opened.attempts,
        target=opened.target,
        text="".join(opened.text),
        escalations=opened.escalations,
        error=opened.error,
        failed_check=opened.failed_check,
        cancelled=cancelled,
    )


async def _stream(call: ChatCall, plan: Plan) -> Response:
    runtime = call.runtime
    cascade = runtime.cascade_for(call.state.policy)
    params = call.body.backend_params()
    try:
        opened = await open_stream(
            cascade,
            plan,
            call.messages,
            params,
            holdback_chars=runtime.settings.stream_holdback_chars,
            attempts=call.attempts,
        )
    except CascadeError as exc:
        await call.log(
            call.record(list(exc.attempts), target=None, text=None, escalations=0, error=str(exc))
        )
        raise
    headers = call.headers(opened.target, opened.escalations)
    headers["cache-control"] = "no-cache"
    return StreamingResponse(_sse(call, opened), media_type="text/event-stream", headers=headers)


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions`` (see the module docstring)."""
    runtime = runtime_of(request)
    principal = await principal_of(request)
    body = await parse_body(request, ChatCompletionRequest)
    messages = body.message_dicts()
    _check_encodable(messages)
    if body.stream and (body.n or 1) > 1:
        message = "n > 1 is not supported with stream: true"
        raise ApiError(400, message, code="unsupported_value", param="n")
    call = ChatCall(runtime, runtime.snapshot(), body, principal, request_id_of(request), messages)
    call.trace_headers = request.headers
    extra = body.model_extra
    call.conversation = conversation_of(request, messages, principal.tenant, body.metadata, extra)
    try:
        return await cancel_on_disconnect(request, _answer(call))
    except ClientGone:  # nothing more is called; the record says so
        if not call.logged:
            attempts = list(call.attempts)  # the calls made, the one cut short last
            record = call.record(attempts, target=None, text=None, escalations=0, cancelled=True)
            await call.log(record)
        return Response(status_code=499)  # nobody reads it (nginx's "client closed request")


async def _answer(call: ChatCall) -> Response:
    await call.runtime.conversations.aload(call.conversation)  # shared (Redis) tier, if any
    plan = await call.resolve()
    tokens = plan.input_tokens or estimate_tokens(last_user_text(call.messages))
    await admit(call.runtime, call.principal, tokens)  # budgets and rate limits: 429 before
    if call.body.stream:
        return await _stream(call, plan)
    return await _complete(call, plan)


def add_chat_routes(app: FastAPI) -> None:
    app.router.add_route("/v1/chat/completions", chat_completions, methods=["POST"])
