"""Simulated OpenAI-compatible LLM backends (FastAPI), for tests, demos and the judge.

    tierroute backends --port 8790 --latency-scale 0

``POST /v1/chat/completions`` answers like an OpenAI server (streaming or not, ``n``
choices), with latency ``ttft_ms + tokens * tpot_ms`` (times ``latency_scale``) and
deterministic text (see :mod:`serving.sim._answers`); ``/v1/embeddings`` too. Faults
are injected per model in the config (``fail_rate``, ``fail_times``, ``fault``) or per
request with ``x-sim-fault`` / ``x-sim-fail-times`` or ``metadata.sim_fault`` / ``sim_fail_times``:

- ``429``: rate-limit error with ``retry-after``;  ``500``: internal server error;
- ``timeout``: hangs ``timeout_s`` (config) before answering 504;
- ``drop_stream``: a stream's connection is cut half-way (no finish reason, no ``[DONE]``);
  clients see a protocol error (httpx ``RemoteProtocolError``).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from serving.sim._answers import (
    BackendConfig,
    FaultKind,
    SimModel,
    add_embeddings_route,
    answer_for,
    completion_body,
    default_backend_config,
    prompt_sha256,
    sse_chunk,
    tool_call_for,
    usage_of,
)

__all__ = ["create_backend_app", "run_backends"]

_PIECE = re.compile(r"\S+\s*|\s+")


class _DroppedStream(Exception):
    """Raised inside a streaming response so the server aborts the connection mid-way."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class _ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # OpenAI has many parameters; ignore the rest
    model: str = Field(min_length=1)
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    stream_options: dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None


@dataclass
class _SimState:
    config: BackendConfig
    rng: random.Random
    requests: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    failed_so_far: Counter[str] = field(default_factory=Counter)


def _prompt_text(messages: list[_Message]) -> str:
    parts: list[str] = []
    for message in messages:
        if isinstance(message.content, str):
            parts.append(message.content)
        elif message.content:
            parts += [str(p.get("text", "")) for p in message.content if p.get("type") == "text"]
    return "\n".join(parts)


def _error(
    status: int, message: str, kind: str, code: str | None, param: str | None = None
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def _pick_fault(
    state: _SimState, model: SimModel, prompt: str, req: _ChatRequest, headers: Mapping[str, str]
) -> FaultKind | None:
    """Per-request fault first, then fail-first-N, then the model's seeded fail_rate."""
    meta = req.metadata or {}
    asked = headers.get("x-sim-fault") or meta.get("sim_fault")
    if asked is not None:
        if str(asked) not in _FAULT_RESPONSES:
            raise ValueError(f"sim_fault: expected one of {sorted(_FAULT_RESPONSES)}: {asked!r}")
        return cast(FaultKind, str(asked))
    times = headers.get("x-sim-fail-times") or meta.get("sim_fail_times") or model.fail_times
    if int(times) > 0:
        key = f"{model.name}\0{prompt_sha256(prompt)}"
        if state.failed_so_far[key] < int(times):
            state.failed_so_far[key] += 1
            return model.fault
    if model.fail_rate > 0 and state.rng.random() < model.fail_rate:
        return model.fault
    return None


async def _stream(
    req: _ChatRequest,
    model: SimModel,
    prompt: str,
    pieces: list[str],
    finish: str,
    scale: float,
    *,
    drop: bool,
    tool_call: dict[str, Any] | None = None,
) -> AsyncIterator[str]:
    rid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    await asyncio.sleep(model.ttft_ms * scale / 1000)
    yield sse_chunk(rid, model.name, {"role": "assistant", "content": ""}, None)
    if tool_call is not None:  # the whole call in one delta
        yield sse_chunk(rid, model.name, {"tool_calls": [{"index": 0, **tool_call}]}, None)
        pieces, finish = [], "tool_calls"
    cut = len(pieces) // 2 if drop else len(pieces)
    for piece in pieces[:cut]:
        yield sse_chunk(rid, model.name, {"content": piece}, None)
        await asyncio.sleep(model.tpot_ms * scale / 1000)
    if drop:  # abort the HTTP response: no finish_reason, no [DONE], no final chunk
        raise _DroppedStream("simulated drop_stream fault")
    yield sse_chunk(rid, model.name, {}, finish)
    if (req.stream_options or {}).get("include_usage"):
        body = json.loads(sse_chunk(rid, model.name, {}, None)[len("data: ") :])
        body["choices"] = []
        body["usage"] = usage_of(prompt, pieces)
        yield f"data: {json.dumps(body)}\n\n"
    yield "data: [DONE]\n\n"


async def _rate_limited(state: _SimState) -> Response:
    response = _error(429, "Rate limit reached (simulated)", "rate_limit_error", "rate_limit")
    response.headers["retry-after"] = str(state.config.retry_after_s)
    return response


async def _hang(state: _SimState) -> Response:
    await asyncio.sleep(state.config.timeout_s)
    return _error(504, "Upstream timed out (simulated)", "timeout", "timeout")


async def _server_error(state: _SimState) -> Response:
    return _error(500, "Internal server error (simulated)", "server_error", None)


# How each fault answers a request; drop_stream only cuts streams (else it is a 500).
_FAULT_RESPONSES: dict[str, Callable[[_SimState], Awaitable[Response]]] = {
    "429": _rate_limited,
    "timeout": _hang,
    "500": _server_error,
    "drop_stream": _server_error,
}


async def _chat(state: _SimState, req: _ChatRequest, headers: Mapping[str, str]) -> Response:
    model = state.config.model(req.model)
    if model is None:
        return _error(
            404,
            f"The model `{req.model}` does not exist",
            "invalid_request_error",
            "model_not_found",
            "model",
        )
    state.requests[model.name] += 1
    prompt = _prompt_text(req.messages)
    try:
        fault = _pick_fault(state, model, prompt, req, headers)
    except ValueError as exc:
        return _error(400, str(exc), "invalid_request_error", None, "metadata")
    if fault is not None:
        state.faults[model.name] += 1
    drop = fault == "drop_stream" and req.stream
    if fault is not None and not drop:
        return await _FAULT_RESPONSES[fault](state)
    messages = [m.model_dump() for m in req.messages]
    tool_call = tool_call_for(req.tools, req.tool_choice, messages, model.name)
    if tool_call is not None:
        pieces = _PIECE.findall(tool_call["function"]["arguments"])  # for usage and latency
    else:
        pieces = _PIECE.findall(answer_for(model, prompt, state.config.replay))
    limit = req.max_completion_tokens or req.max_tokens
    finish = "stop"
    if limit is not None and len(pieces) > limit and tool_call is None:
        pieces, finish = pieces[:limit], "length"
    scale = state.config.latency_scale
    if req.stream:
        return StreamingResponse(
            _stream(req, model, prompt, pieces, finish, scale, drop=drop, tool_call=tool_call),
            media_type="text/event-stream",
        )
    await asyncio.sleep((model.ttft_ms + len(pieces) * model.tpot_ms) * scale / 1000)
    rid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    calls = [tool_call] if tool_call is not None else None
    n = int((req.model_extra or {}).get("n") or 1)
    return JSONResponse(completion_body(model, prompt, pieces, finish, rid, calls, n))


def create_backend_app(config: BackendConfig | None = None) -> FastAPI:
    """The simulated backend server (default: :func:`default_backend_config`)."""

    config = config or default_backend_config()
    state = _SimState(config, random.Random(config.seed))
    app = FastAPI(title="tierroute simulated backends", docs_url=None, redoc_url=None)
    app.state.sim = state

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{loc or 'body'}: {first.get('msg', 'invalid request')}"
        return _error(400, message, "invalid_request_error", "invalid_request", loc or None)

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(body: _ChatRequest, request: Request) -> Response:
        return await _chat(state, body, request.headers)

    @app.get("/v1/models")
    async def list_models() -> dict[str, Any]:
        data = [
            {"id": m.name, "object": "model", "created": 0, "owned_by": "tierroute-sim"}
            for m in state.config.models
        ]
        return {"object": "list", "data": data}

    add_embeddings_route(app, config)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/sim/stats")
    async def stats() -> dict[str, dict[str, int]]:
        return {"requests": dict(state.requests), "faults": dict(state.faults)}

    return app


def run_backends(
    host: str = "127.0.0.1", port: int = 8790, config: BackendConfig | None = None
) -> None:
    """Serve the simulated backends with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(
        create_backend_app(config),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
