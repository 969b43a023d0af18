"""Bounded work per worker: load shedding, client-disconnect cancellation, CPU off the loop.

- :class:`LoadShedMiddleware`: at most ``limit`` requests to the work endpoints
  (``/v1/chat/completions``, ``/v1/route``) are served at once; one more is refused
  at once with 503 ``overloaded`` and ``Retry-After``, before its body is read, so a
  burst costs the worker almost nothing and the requests it accepted still finish in
  time. Health, readiness and metrics are never shed.
- :func:`cancel_on_disconnect`: runs a request's work while watching its connection;
  when the client goes away the work (routing, backend calls) is cancelled and
  :class:`ClientGone` is raised, so the caller logs the request as ``cancelled``.
- :class:`CpuPool`: scoring and detectors run in a small thread pool instead of on
  the event loop, so ``/healthz`` answers while a large batch is scored; work still
  queued when its request is cancelled never runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from starlette.requests import Request

from serving.http._metrics import Metrics
from serving.http._openai_api import ApiError, error_body

__all__ = ["ClientGone", "CpuPool", "LoadShedMiddleware", "cancel_on_disconnect"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
WORK_PATHS = frozenset({"/v1/chat/completions", "/v1/route"})
_T = TypeVar("_T")
_P = ParamSpec("_P")


class LoadShedMiddleware:
    """503 + ``Retry-After`` at once when ``limit`` work requests are in flight."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        retry_after_s: int = 1,
        metrics: Callable[[], Metrics | None] = lambda: None,
        paths: Collection[str] = WORK_PATHS,
    ) -> None:
        self.app = app
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.metrics = metrics
        self.paths = paths
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        metrics = self.metrics()
        if self.in_flight >= self.limit:
            if metrics is not None:
                metrics.shed.labels(scope["path"]).inc()
            await self._refuse(send)
            return
        self.in_flight += 1
        if metrics is not None:
            metrics.in_flight.set(self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            if metrics is not None:
                metrics.in_flight.set(self.in_flight)

    async def _refuse(self, send: Any) -> None:
        message = (
            f"this worker is serving its limit of {self.limit} requests (setting "
            f"max_in_flight); retry after {self.retry_after_s} s"
        )
        body = json.dumps(error_body(message, "server_error", "overloaded")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(self.retry_after_s).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class ClientGone(ApiError):  # noqa: N818 (a condition, not an error of ours)
    """The client disconnected before its answer was ready; the work was cancelled.
    Answered (to nobody) with 499, nginx's "client closed request"."""

    def __init__(self) -> None:
        super().__init__(499, "the client disconnected", code="client_closed_request")


async def cancel_on_disconnect(request: Request, work: Awaitable[_T]) -> _T:
    """``await work``, cancelled (then :class:`ClientGone`) if the client disconnects.

    Call it after the body was read: the next ASGI message is then the disconnect."""
    task: asyncio.Future[_T] = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request))
    both: set[asyncio.Future[Any]] = {task, watcher}
    try:
        await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():  # the client left (or this request itself is cancelled)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        raise ClientGone
    return task.result()


async def _disconnected(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


class CpuPool:
    """A few threads for CPU-bound work (scoring, detectors) off the event loop."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    async def run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        if self._pool is None:  # made on first use: nothing runs at import or start
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="tierroute-cpu")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
