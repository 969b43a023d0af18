"""The tierroute HTTP service: ``create_app(settings)``.

    uvicorn --factory serving.http:create_app           # or: tierroute serve

Endpoints: ``POST /v1/route``, ``POST /v1/chat/completions`` (see
:mod:`serving.http._chat`), ``GET /v1/models``, ``/healthz``, ``/readyz``, ``/metrics``.
The policy (hot-reloaded), scorer, litellm Router, decision log, metrics and API keys
live in the lifespan state (:class:`~serving.http._runtime.Runtime`), never in
module globals.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from router import ComplexityScorer
from serving._settings import Settings
from serving.cascade import CompletionFn
from serving.http._auth import Principal
from serving.http._chat import add_chat_routes
from serving.http._guards import LoadShedMiddleware
from serving.http._metrics import Metrics
from serving.http._openai_api import BodyLimitMiddleware, install_error_handlers
from serving.http._openapi import install_openapi
from serving.http._passthrough import add_passthrough_routes
from serving.http._request_metrics import RequestMetricsMiddleware
from serving.http._route_api import add_route_api
from serving.http._runtime import Runtime, principal_of, runtime_of

__all__ = ["create_app", "worker_app"]

_log = logging.getLogger("tierroute.serving")


def create_app(
    settings: Settings | None = None,
    *,
    completion: CompletionFn | None = None,
    scorer: ComplexityScorer | None = None,
    tracer_provider: Any = None,
) -> FastAPI:
    """The service. ``completion`` replaces the litellm Router (tests inject fakes);
    ``scorer`` replaces the one ``settings.model`` names (already loaded);
    ``tracer_provider`` receives the traces (default: OTLP when configured)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        start = Runtime.start
        runtime = await asyncio.to_thread(start, settings, completion, scorer, tracer_provider)
        state = runtime.reloader.state
        app.state.runtime = runtime
        await runtime.reloader.start()
        if runtime.follower is not None:
            await runtime.follower.start()
        runtime.ready = True
        _log.info("tierroute serving policy %s", state.version)
        try:
            yield
        finally:
            runtime.ready = False
            await runtime.reloader.stop()
            if runtime.follower is not None:
                await runtime.follower.stop()
            if runtime.log is not None:
                await runtime.log.aclose()
            await runtime.state.aclose()
            runtime.tracing.shutdown()
            runtime.cpu.close()

    app = FastAPI(
        title="tierroute",
        summary="Routes each LLM request to the cheapest model tier that answers it well.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    _add_routes(app)

    add_chat_routes(app)
    add_passthrough_routes(app)  # /v1/embeddings, /v1/responses
    install_openapi(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        LoadShedMiddleware,
        limit=settings.max_in_flight,
        retry_after_s=settings.shed_retry_after_s,
        metrics=lambda: _metrics_of(app),
    )
    app.add_middleware(
        RequestMetricsMiddleware, metrics=lambda: _metrics_of(app), paths=lambda: app.router.routes
    )
    return app


def worker_app() -> FastAPI:
    """The app of one of several worker processes (``tierroute serve --workers N``).

    Settings come from the environment; each worker appends to its own decision log
    (``decisions.<pid>.jsonl``) because one file has one writer."""
    settings = Settings()
    log = settings.decision_log
    if log is not None and settings.workers > 1:
        log = log.with_name(f"{log.stem}.{os.getpid()}{log.suffix}")
        settings = settings.model_copy(update={"decision_log": log})
    return create_app(settings)


def _metrics_of(app: FastAPI) -> Metrics | None:
    runtime = getattr(app.state, "runtime", None)
    return runtime.metrics if runtime is not None else None


def _add_routes(app: FastAPI) -> None:
    add_route_api(app)  # POST /v1/route

    @app.get("/v1/models")
    async def models(
        request: Request, principal: Annotated[Principal, Depends(principal_of)]
    ) -> Any:
        policy = runtime_of(request).snapshot().policy
        names = ["tierroute/auto", *(f"tierroute/{t}" for t in policy.tier_names)]
        names += list(dict.fromkeys(d.model for t in policy.tiers for d in t.deployments))
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "tierroute"} for n in names]
        return {"object": "list", "data": data}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", response_model=None)
    async def readyz(request: Request) -> Response:
        body = await runtime_of(request).readiness()
        body["circuits"] = await runtime_of(request).breaker.snapshot()
        return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        body, content_type = runtime_of(request).metrics.render()
        return Response(body, media_type=content_type)
