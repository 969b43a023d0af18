"""The HTTP boundary: request models, OpenAI-style error bodies, one error handler.

Every error leaves the service as ``{"error": {"message", "type", "param", "code"}}``
with a fitting status: bad input is a 4xx that names the field, never a 500.

    TierrouteError subclass        status  type
    PromptError / bad JSON/schema  400     invalid_request_error
    AuthError (serving.http._auth)      401/403 its own (``exc.status_code``)
    ApiError                       its own (404 unknown model, 413 too large, 503 not ready)
    BackendError                   502 (504 when every attempt timed out; 4xx if upstream said so)
    ClassifierError / other        500     server_error
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from policies import BackendError, PolicyError, PromptError, TierrouteError

__all__ = [
    "CONSUMED_PARAMS",
    "ApiError",
    "BodyLimitMiddleware",
    "ChatCompletionRequest",
    "RouteRequest",
    "error_body",
    "install_error_handlers",
    "parse_body",
]

_log = logging.getLogger("tierroute.serving")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ApiError(TierrouteError):
    """An HTTP-level refusal that is not bad prompt content (unknown model, too large...)."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        error_type: str = "invalid_request_error",
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.error_type = error_type
        self.param = param


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


_INT32 = 2**31 - 1
_INT64 = 2**63 - 1
# Parameters the service reads itself and never sends to a backend.
CONSUMED_PARAMS = frozenset(
    {"model", "messages", "stream", "stream_options", "metadata", "n", "litellm_session_id"}
)


def _finite(low: float, high: float, what: str) -> Any:
    return Field(default=None, ge=low, le=high, allow_inf_nan=False, description=what)


class ChatCompletionRequest(BaseModel):
    """The OpenAI chat request: the parameters this service supports, with OpenAI's
    ranges. Other keys are kept in ``model_extra`` and refused unless the policy lets
    the deployment called take them (``extra_params``; see :mod:`serving.http._params`)."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    n: int | None = Field(
        default=None, ge=1, le=128, description="choices (n > 1: not with stream)"
    )
    max_tokens: int | None = Field(default=None, ge=1, le=_INT32)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=_INT32)
    temperature: float | None = _finite(0, 2, "sampling temperature")
    top_p: float | None = _finite(0, 1, "nucleus sampling mass")
    frequency_penalty: float | None = _finite(-2, 2, "penalty for frequent tokens")
    presence_penalty: float | None = _finite(-2, 2, "penalty for present tokens")
    stop: str | list[str] | None = Field(default=None, description="up to 4 stop sequences")
    seed: int | None = Field(default=None, ge=-_INT64 - 1, le=_INT64)
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    functions: list[dict[str, Any]] | None = None
    function_call: str | dict[str, Any] | None = None
    user: str | None = Field(default=None, max_length=256)
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = None
    metadata: dict[str, Any] | None = Field(
        default=None, description="routing metadata for policy rules; not sent to backends"
    )

    @field_validator("stop")
    @classmethod
    def _stop(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and not 1 <= len(value) <= 4:
            raise ValueError("give a string or a list of 1 to 4 strings")
        return value

    @field_validator("logit_bias")
    @classmethod
    def _logit_bias(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for token, bias in (value or {}).items():
            if not token.isdigit() or not -100 <= bias <= 100:  # NaN fails the range too
                raise ValueError(f"{token!r}: expected a token id mapped to -100..100")
        return value

    def backend_params(self) -> dict[str, Any]:
        """The OpenAI parameters for the backend call (not what tierroute consumes, not
        the extra ones: those go only to deployments that allow them); ``n`` only above 1."""
        params = self.model_dump(exclude_none=True, exclude=set(CONSUMED_PARAMS))
        for key in self.model_extra or {}:
            params.pop(key, None)
        if (self.n or 1) > 1:
            params["n"] = self.n
        return params

    def extra_params(self) -> dict[str, Any]:
        """The request's keys beyond the OpenAI ones this service knows."""
        extra = self.model_extra or {}
        return {k: v for k, v in extra.items() if k not in CONSUMED_PARAMS}

    def message_dicts(self) -> list[dict[str, Any]]:
        return [m.model_dump(exclude_none=True) for m in self.messages]

    @property
    def wants_usage_chunk(self) -> bool:
        return bool((self.stream_options or {}).get("include_usage"))


class RouteRequest(BaseModel):
    """``POST /v1/route``: exactly one of prompt, messages or prompts."""

    model_config = ConfigDict(extra="forbid")

    prompt: str | None = None
    messages: list[dict[str, Any]] | None = None
    prompts: list[str | list[dict[str, Any]]] | None = Field(default=None, min_length=1)
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RouteRequest:
        given = [k for k in ("prompt", "messages", "prompts") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of prompt, messages, prompts (got {given or 'none'})"
            )
        return self


_Body = TypeVar("_Body", bound=BaseModel)


async def parse_body(request: Request, model: type[_Body]) -> _Body:
    """Read and validate a JSON body by hand (the hot paths skip FastAPI's solver).

    Errors become ``RequestValidationError`` with ``body.``-prefixed locations, so
    they get the same 400 as FastAPI's own validation."""
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # bad JSON, not UTF-8, nested too deep
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        error = {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}
        raise RequestValidationError([{**error, "ctx": {"error": reason}}]) from exc
    if not isinstance(data, dict):
        kind = type(data).__name__
        message = f"expected a JSON object, got {kind}"
        raise RequestValidationError([{"type": "model_type", "loc": ("body",), "msg": message}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc


def error_body(
    message: str, error_type: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def _json_error(
    status: int,
    message: str,
    error_type: str,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    # ensure_ascii: an error may quote input with lone surrogates; still valid JSON bytes.
    content = json.dumps(error_body(message, error_type, code, param), ensure_ascii=True)
    return Response(content, status, headers=headers, media_type="application/json")


# Status, type and code of each TierrouteError subclass (the nearest base class wins).
_STATUS: dict[type[BaseException], tuple[int, str, str]] = {
    PromptError: (400, "invalid_request_error", "invalid_prompt"),
    PolicyError: (400, "invalid_request_error", "invalid_policy"),
    BackendError: (502, "api_error", "upstream_error"),
    TierrouteError: (500, "server_error", "internal_error"),
}


def error_response(exc: TierrouteError) -> Response:
    """The OpenAI-style response for any TierrouteError."""
    status, error_type, code = next(_STATUS[cls] for cls in type(exc).__mro__ if cls in _STATUS)
    status = int(getattr(exc, "status_code", status))
    error_type = str(getattr(exc, "error_type", error_type))
    code = getattr(exc, "code", code) or code
    param = getattr(exc, "param", None)
    headers = getattr(exc, "headers", None)
    if status >= 500:
        _log.warning("%s: %s", type(exc).__name__, exc)
    return _json_error(status, str(exc), error_type, code, param, headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    if first.get("type") == "json_invalid":
        return f"body: invalid JSON: {first.get('ctx', {}).get('error', 'cannot parse')}", None
    where = ".".join(loc) or "body"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid request')}{more}", where if loc else None


def install_error_handlers(app: FastAPI) -> None:
    """One handler per error family, all producing OpenAI-style bodies."""

    @app.exception_handler(TierrouteError)
    async def _tierroute(request: Request, exc: TierrouteError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        message, param = _validation_message(exc)
        return _json_error(400, message, "invalid_request_error", "invalid_request", param)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
        code = codes.get(exc.status_code)
        kind = "invalid_request_error" if exc.status_code < 500 else "server_error"
        message = str(exc.detail)
        if exc.status_code in (404, 405):
            message = f"{request.method} {request.url.path}: {message}"
        return _json_error(exc.status_code, message, kind, code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = f"internal error ({type(exc).__name__}); see the service log"
        return _json_error(500, message, "server_error", "internal_error")


class BodyLimitMiddleware:
    """Answer 413 for request bodies over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:  # FastAPI re-raises HTTPException from body reads
                raise StarletteHTTPException(413, self._error_message())
            return message

        await self.app(scope, limited, send)

    def _error_message(self) -> str:
        return f"body: larger than the limit of {self.max_bytes} bytes"

    async def _too_large(self, send: Send) -> None:
        error = error_body(self._error_message(), "invalid_request_error", "request_too_large")
        body = json.dumps(error).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
