"""HTTP SDK for a running tierroute service.

    >>> from serving import Client
    >>> with Client("http://127.0.0.1:8080", api_key="tr-...") as client:
    ...     decision = client.route("Why is this SQL query slow?")
    ...     reply = client.chat([{"role": "user", "content": "Hi"}])

``route`` returns the same :class:`router.Decision` as the in-process ``route()``.
:class:`AsyncClient` has the same methods, awaitable (``chat_stream`` is an async
iterator). Errors::

    TierrouteError
    ├── ServiceError                   the service answered with an error (.status_code, .code)
    │   ├── ServiceAuthError           401 / 403: missing, wrong or not-allowed API key
    │   ├── InvalidRequestError        400 / 413 / 422 (also a PromptError)
    │   └── ServiceUnavailableError    5xx: no backend could answer (also a BackendError)
    └── ServiceConnectionError         the service could not be reached, or a stream broke off
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import fields
from typing import Any

import httpx

from policies import BackendError, PromptError, TierrouteError
from router import Decision

__all__ = [
    "AsyncClient",
    "Client",
    "InvalidRequestError",
    "ServiceAuthError",
    "ServiceConnectionError",
    "ServiceError",
    "ServiceUnavailableError",
]

Prompt = str | Sequence[Mapping[str, Any]]
_DECISION_FIELDS = frozenset(f.name for f in fields(Decision))
_USER_AGENT = "tierroute-client/0.1"


class ServiceError(TierrouteError):
    """The service answered with an error; the message is the server's."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        error_type: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.code = code
        self.error_type = error_type
        self.param = param


class ServiceAuthError(ServiceError):
    """401 or 403: the API key is missing, wrong, or not allowed for this request."""


class InvalidRequestError(ServiceError, PromptError):
    """400, 413 or 422: the request (usually the prompt) was rejected."""


class ServiceUnavailableError(ServiceError, BackendError):
    """5xx: the service or every backend behind it failed."""


class ServiceConnectionError(TierrouteError):
    """The service could not be reached, timed out, or a stream ended early."""


def _error_class(status: int) -> type[ServiceError]:
    if status in (401, 403):
        return ServiceAuthError
    if status in (400, 413, 422):
        return InvalidRequestError
    if status >= 500:
        return ServiceUnavailableError
    return ServiceError


def _raise_for_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    message, code, error_type, param = (
        response.text[:500] or response.reason_phrase,
        None,
        None,
        None,
    )
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict):
        message = str(error.get("message") or message)
        code, error_type, param = error.get("code"), error.get("type"), error.get("param")
    elif isinstance(error, str):
        message = error
    cls = _error_class(response.status_code)
    raise cls(response.status_code, message, code=code, error_type=error_type, param=param)


def _json(response: httpx.Response) -> Any:
    _raise_for_error(response)
    try:
        return response.json()
    except ValueError as exc:
        raise ServiceConnectionError(f"{response.url}: the service sent invalid JSON") from exc


def _base_url(url: str) -> str:
    url = url.rstrip("/")
    return url.removesuffix("/v1")


def _headers(api_key: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = {"User-Agent": _USER_AGENT}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    headers.update(extra or {})
    return headers


def _route_body(prompt: Prompt, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if isinstance(prompt, str):
        body: dict[str, Any] = {"prompt": prompt}
    elif isinstance(prompt, list | tuple):
        body = {"messages": [dict(m) for m in prompt]}
    else:
        raise TypeError(f"prompt: expected a string or a list of messages, got {type(prompt)}")
    if metadata is not None:
        body["metadata"] = dict(metadata)
    return body


def _batch_body(prompts: Sequence[Prompt], metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if isinstance(prompts, str):
        raise TypeError("route_batch takes a list of prompts; use route() for one")
    items = [p if isinstance(p, str) else [dict(m) for m in p] for p in prompts]
    body: dict[str, Any] = {"prompts": items}
    if metadata is not None:
        body["metadata"] = dict(metadata)
    return body


def _chat_body(
    messages: Sequence[Mapping[str, Any]], model: str, kw: dict[str, Any]
) -> dict[str, Any]:
    return {"model": model, "messages": [dict(m) for m in messages], **kw}


def _decision(data: Any) -> Decision:
    if not isinstance(data, dict):
        raise ServiceConnectionError(f"expected a decision object, got {type(data).__name__}")
    try:
        return Decision.from_dict({k: v for k, v in data.items() if k in _DECISION_FIELDS})
    except TypeError as exc:
        raise ServiceConnectionError(f"malformed decision from the service: {exc}") from exc


def _decisions(data: Any) -> list[Decision]:
    items = data.get("decisions") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ServiceConnectionError("expected {'decisions': [...]} from the service")
    return [_decision(item) for item in items]


def _sse_data(line: str) -> dict[str, Any] | None:
    """The JSON of one ``data:`` line; None for other lines. ``[DONE]`` -> ``{}``."""
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    if payload == "[DONE]":
        return {}
    try:
        chunk = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise ServiceConnectionError(f"malformed stream chunk: {payload[:200]!r}") from exc
    error = chunk.get("error") if isinstance(chunk, dict) else None
    if isinstance(error, dict):
        status = int(error.get("status_code") or 502)
        message = str(error.get("message") or "stream failed")
        raise _error_class(status)(
            status, message, code=error.get("code"), error_type=error.get("type")
        )
    if not isinstance(chunk, dict):
        raise ServiceConnectionError(f"malformed stream chunk: {payload[:200]!r}")
    return chunk


_STREAM_CUT = "the stream ended before 'data: [DONE]'"


class Client:
    """Synchronous client. ``transport`` is for tests (``httpx.MockTransport``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=_base_url(base_url),
            headers=_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )

    def route(self, prompt: Prompt, metadata: Mapping[str, Any] | None = None) -> Decision:
        """The routing decision for one prompt (a string or OpenAI-style messages)."""
        return _decision(self._post("/v1/route", _route_body(prompt, metadata)))

    def route_batch(
        self, prompts: Sequence[Prompt], metadata: Mapping[str, Any] | None = None
    ) -> list[Decision]:
        """Decisions for many prompts in one request (``metadata`` applies to all)."""
        return _decisions(self._post("/v1/route", _batch_body(prompts, metadata)))

    def chat(
        self, messages: Sequence[Mapping[str, Any]], model: str = "tierroute/auto", **kw: Any
    ) -> dict[str, Any]:
        """An OpenAI chat completion (``tierroute/auto`` lets the router pick the model)."""
        data = self._post("/v1/chat/completions", _chat_body(messages, model, kw))
        if not isinstance(data, dict):
            raise ServiceConnectionError("expected a chat completion object from the service")
        return data

    def chat_stream(
        self, messages: Sequence[Mapping[str, Any]], model: str = "tierroute/auto", **kw: Any
    ) -> Iterator[dict[str, Any]]:
        """Streamed chat completion chunks; raises if the stream breaks off."""
        body = _chat_body(messages, model, {**kw, "stream": True})
        try:
            with self._http.stream("POST", "/v1/chat/completions", json=body) as response:
                if not response.is_success:
                    response.read()
                    _raise_for_error(response)
                for line in response.iter_lines():
                    chunk = _sse_data(line)
                    if chunk == {}:
                        return
                    if chunk is not None:
                        yield chunk
        except httpx.HTTPError as exc:
            raise ServiceConnectionError(f"{self._http.base_url}: {exc}") from exc
        raise ServiceConnectionError(_STREAM_CUT)

    def models(self) -> list[dict[str, Any]]:
        data = self._request("GET", "/v1/models", None)
        return list(data.get("data", [])) if isinstance(data, dict) else []

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("POST", path, body)

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ServiceConnectionError(f"{self._http.base_url}{path}: {exc}") from exc
        return _json(response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient:
    """Asynchronous client: the methods of :class:`Client`, awaitable."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=_base_url(base_url),
            headers=_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )

    async def route(self, prompt: Prompt, metadata: Mapping[str, Any] | None = None) -> Decision:
        return _decision(await self._post("/v1/route", _route_body(prompt, metadata)))

    async def route_batch(
        self, prompts: Sequence[Prompt], metadata: Mapping[str, Any] | None = None
    ) -> list[Decision]:
        return _decisions(await self._post("/v1/route", _batch_body(prompts, metadata)))

    async def chat(
        self, messages: Sequence[Mapping[str, Any]], model: str = "tierroute/auto", **kw: Any
    ) -> dict[str, Any]:
        data = await self._post("/v1/chat/completions", _chat_body(messages, model, kw))
        if not isinstance(data, dict):
            raise ServiceConnectionError("expected a chat completion object from the service")
        return data

    async def chat_stream(
        self, messages: Sequence[Mapping[str, Any]], model: str = "tierroute/auto", **kw: Any
    ) -> AsyncIterator[dict[str, Any]]:
        body = _chat_body(messages, model, {**kw, "stream": True})
        try:
            async with self._http.stream("POST", "/v1/chat/completions", json=body) as response:
                if not response.is_success:
                    await response.aread()
                    _raise_for_error(response)
                async for line in response.aiter_lines():
                    chunk = _sse_data(line)
                    if chunk == {}:
                        return
                    if chunk is not None:
                        yield chunk
        except httpx.HTTPError as exc:
            raise ServiceConnectionError(f"{self._http.base_url}: {exc}") from exc
        raise ServiceConnectionError(_STREAM_CUT)

    async def models(self) -> list[dict[str, Any]]:
        data = await self._request("GET", "/v1/models", None)
        return list(data.get("data", [])) if isinstance(data, dict) else []

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        return await self._request("POST", path, body)

    async def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ServiceConnectionError(f"{self._http.base_url}{path}: {exc}") from exc
        return _json(response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
