"""``POST /v1/embeddings`` and ``POST /v1/responses``: passed through to one model.

Nothing is routed: ``model`` names a policy deployment (by its model string, sent
through the litellm Router with the deployment's ``api_base`` and key) or, with
``passthrough`` on, any model litellm knows. The request gets what a chat request
gets around the backend call: API-key auth (model and tier restrictions), the key's
budget and rate limits (:mod:`serving.http._gateway`), one decision-log record (endpoint,
attempt, tokens, cost), the trace, and the ``x-tierroute-cost-usd`` header (also
``usage.cost``). ``/v1/responses`` is non-streaming here (``stream: true`` is a 400).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from router import Attempt, DecisionRecord, estimate_tokens
from serving.cascade import (
    Target,
    as_dict,
    cascade_error,
    classify_error,
    detail_of,
    passthrough_plan,
    plan_for_model,
    short_error,
)
from serving.http._auth import Principal
from serving.http._gateway import admit, after_request
from serving.http._openai_api import ApiError, parse_body
from serving.http._params import refuse_unknown
from serving.http._record import decision_record
from serving.http._runtime import principal_of, request_id_of
from serving.http._spend import COST_HEADER, format_cost, request_cost

if TYPE_CHECKING:
    from serving.http._runtime import Runtime

__all__ = ["add_passthrough_routes"]


class PassRequest(BaseModel):
    """A pass-through request: ``model``, ``input`` and the typed OpenAI parameters of
    its endpoint; anything else is a 400 naming it (:func:`serving.http._params.refuse_unknown`),
    so no client picks the endpoint, key, headers or retries of the call."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1)
    input: str | list[Any] = Field(min_length=1)
    stream: bool = False
    user: str | None = Field(default=None, max_length=256)


class EmbeddingsRequest(PassRequest):
    """OpenAI's embeddings request."""

    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = Field(default=None, ge=1, le=65_536)


class ResponsesRequest(PassRequest):
    """OpenAI's Responses request (non-streaming here)."""

    instructions: str | None = None
    max_output_tokens: int | None = Field(default=None, ge=1, le=2**31 - 1)
    temperature: float | None = Field(default=None, ge=0, le=2, allow_inf_nan=False)
    top_p: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    text: dict[str, Any] | None = None
    reasoning: dict[str, Any] | None = None
    truncation: Literal["auto", "disabled"] | None = None


@dataclass
class PassCall:
    """One pass-through request (what :func:`serving.http._gateway.after_request` reads)."""

    runtime: Runtime
    principal: Principal
    request_id: str
    endpoint: str
    started_ns: int = field(default_factory=time.time_ns)
    decided_ns: int | None = None
    trace_headers: Mapping[str, str] | None = None


def _text_of(value: Any) -> str:
    """The text in an ``input`` (string, list of strings, or Responses items)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_text_of(v) for v in value)
    if isinstance(value, dict):
        return _text_of(value.get("content") or value.get("text") or "")
    return ""


def _target(runtime: Runtime, model: str, principal: Principal) -> Target:
    policy = runtime.snapshot().policy
    plan = plan_for_model(policy, model)
    if plan is not None:
        target = plan.stages[0][0]
        principal.require_tier(target.tier)
        return target
    complete = runtime.cascade_for(policy).complete
    serves = getattr(complete, "serves", None)
    if not runtime.settings.passthrough or (serves is not None and not serves(model)):
        raise ApiError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    target = passthrough_plan(model).stages[0][0]
    principal.require_tier(target.tier)  # a tier-limited key reaches no model outside it
    return target


async def _call(runtime: Runtime, method: str, target: Target, params: dict[str, Any]) -> Any:
    complete = runtime.cascade_for(runtime.snapshot().policy).complete
    fn = getattr(complete, method, None)
    if fn is None:
        raise ApiError(501, f"this service's backend cannot serve {method}", code="not_supported")
    async with asyncio.timeout(runtime.settings.backend_timeout_s):
        return await fn(model=target.group, **params)


def _record(
    call: PassCall, body: PassRequest, attempt: Attempt, text: str, error: str | None
) -> DecisionRecord:
    meta: dict[str, Any] = {"endpoint": call.endpoint, "requested_model": body.model}
    if call.principal.key_id:
        meta["key_id"] = call.principal.key_id
    if error:
        meta["error"] = error
    return decision_record(
        call.request_id,
        text,
        call.principal,
        metadata=meta,
        attempts=(attempt,),
        status="error" if error else "ok",
        final_model=attempt.model if not error else None,
        final_tier=attempt.tier if not error else None,
    )


async def _finish(call: PassCall, record: DecisionRecord) -> None:
    runtime = call.runtime
    if runtime.log is not None:
        await runtime.log.awrite(record)
    runtime.metrics.observe_attempts(record.attempts)
    await after_request(call, record)


async def _pass(request: Request, endpoint: str, model: type[PassRequest], method: str) -> Response:
    runtime: Runtime = request.app.state.runtime
    principal = await principal_of(request)
    body = await parse_body(request, model)
    refuse_unknown(body.model_extra or {})  # before any work
    if body.stream:
        raise ApiError(400, f"{endpoint}: stream is not supported", param="stream")
    requested = str(body.model)
    principal.require_model(requested)
    target = _target(runtime, requested, principal)
    call = PassCall(runtime, principal, request_id_of(request), endpoint)
    call.trace_headers, call.decided_ns = request.headers, time.time_ns()
    text = _text_of(body.input)
    await admit(runtime, principal, estimate_tokens(text))
    params = body.model_dump(exclude={"model", "stream"}, exclude_none=True)
    t0 = time.perf_counter()
    try:
        data = as_dict(await _call(runtime, method, target, params))
    except ApiError:
        raise
    except Exception as exc:  # every backend failure is logged, then a 502/504/4xx
        outcome, name = classify_error(exc)
        latency = round((time.perf_counter() - t0) * 1000, 3)
        failed = Attempt(
            target.model, target.tier, "primary", outcome, latency, error=short_error(name, exc)
        )
        await _finish(call, _record(call, body, failed, text, detail_of(exc)))
        raise cascade_error([failed], [detail_of(exc)]) from exc
    latency = round((time.perf_counter() - t0) * 1000, 3)
    usage = dict(data.get("usage") or {})
    n_in = usage.get("prompt_tokens", usage.get("input_tokens"))
    n_out = usage.get("completion_tokens", usage.get("output_tokens")) or 0
    cost_row = target.cost_usd(n_in, n_out)
    attempt = Attempt(
        target.model, target.tier, "primary", "ok", latency, None, n_in, n_out, cost_row
    )
    cost = request_cost([attempt])
    data["usage"] = {**usage, "cost": cost}
    await _finish(call, _record(call, body, attempt, text, None))
    headers = {"x-tierroute-request-id": call.request_id, "x-tierroute-model": target.model}
    headers[COST_HEADER] = headers["x-litellm-response-cost"] = format_cost(cost)
    return JSONResponse(data, headers=headers)


async def embeddings(request: Request) -> Response:
    """``POST /v1/embeddings`` (see the module docstring)."""
    return await _pass(request, "/v1/embeddings", EmbeddingsRequest, "aembedding")


async def responses(request: Request) -> Response:
    """``POST /v1/responses`` (see the module docstring)."""
    return await _pass(request, "/v1/responses", ResponsesRequest, "aresponses")


def add_passthrough_routes(app: FastAPI) -> None:
    app.router.add_route("/v1/embeddings", embeddings, methods=["POST"])
    app.router.add_route("/v1/responses", responses, methods=["POST"])
