"""ASGI middleware that counts and times every HTTP request by its route template."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from serving.http._metrics import Metrics

__all__ = ["RequestMetricsMiddleware"]


class RequestMetricsMiddleware:
    """ASGI middleware: count and time every request by its route template."""

    def __init__(
        self, app: Any, metrics: Callable[[], Metrics | None], paths: Callable[[], Sequence[Any]]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self._paths: frozenset[str] | None = None
        self._routes = paths

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        t0 = time.perf_counter()

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            metrics = self.metrics()
            if metrics is not None:
                path = getattr(scope.get("route"), "path", None) or self._known(scope["path"])
                metrics.observe_request(path, status, time.perf_counter() - t0)

    def _known(self, path: str) -> str:
        """The path when the app serves it (our routes take no parameters), else a bucket."""
        if self._paths is None:
            routes = self._routes()
            self._paths = frozenset(str(getattr(r, "path", "")) for r in routes)
        return path if path in self._paths else "unmatched"
