"""``/openapi.json``: the GET routes FastAPI documents itself, plus the POST routes.

``POST /v1/route`` and ``POST /v1/chat/completions`` parse their bodies by hand (the
hot path skips FastAPI's request solver), so FastAPI cannot see their schemas; they
are added here from the same pydantic models the handlers validate with, with the
OpenAI-style error responses, so ``/docs`` and schema-driven tools (schemathesis)
cover every route.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from serving.http._openai_api import ChatCompletionRequest, RouteRequest

__all__ = ["install_openapi"]

_REF = "#/components/schemas/{model}"
_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
            "required": ["message", "type"],
        }
    },
    "required": ["error"],
}
_ERRORS = {
    "400": "invalid request: the message and `param` name the field",
    "401": "missing or incorrect API key",
    "403": "the API key may not use this model or tier",
    "404": "unknown model",
    "413": "body or batch too large",
    "502": "no backend could answer",
    "503": "not ready, or this worker is full (see Retry-After)",
    "504": "every backend attempt timed out",
}
_ROUTE_DOC = "Route a prompt, messages or a batch of prompts: the decision(s); nothing is called."
_CHAT_DOC = "OpenAI-compatible chat completion routed across the policy's tiers (`stream`: SSE)."
_POST_ROUTES: tuple[tuple[str, type[BaseModel], str, str], ...] = (
    ("/v1/route", RouteRequest, "route", _ROUTE_DOC),
    ("/v1/chat/completions", ChatCompletionRequest, "chat_completions", _CHAT_DOC),
)


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` document the hand-parsed POST routes too."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _schema(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _schema(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    components: dict[str, Any] = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = _ERROR
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, model, operation, summary in _POST_ROUTES:
        body = model.model_json_schema(ref_template=_REF)
        components.update(body.pop("$defs", {}))
        components[model.__name__] = body
        responses: dict[str, Any] = {"200": {"description": "OK", "content": _ok(path)}}
        responses |= {code: {"description": text, **error} for code, text in _ERRORS.items()}
        schema["paths"][path] = {
            "post": {
                "summary": summary,
                "operationId": operation,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}
                    },
                },
                "responses": responses,
            }
        }
    return schema


def _ok(path: str) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    if path == "/v1/chat/completions":
        content["text/event-stream"] = {"schema": {"type": "string"}}
    return content
