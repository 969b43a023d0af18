"""The tierroute HTTP service: ``create_app(settings)``.

    uvicorn --factory serving._app:create_app      # or: tierroute serve

Endpoints: ``POST /v1/route``, ``POST /v1/chat/completions`` (see
:mod:`serving._chat`), ``GET /v1/models``, ``/healthz``, ``/readyz``, ``/metrics``.
The policy (hot-reloaded), scorer, litellm Router, decision log, metrics and API keys
live in the lifespan state (:class:`Runtime`), never in module globals.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from policies import Policy
from router import ComplexityScorer, Router
from serving._answer_checks import AnswerChecks
from serving._auth import Authenticator, KeyStore, Principal
from serving._breaker import BreakerStore, CircuitBreaker, SharedBreaker
from serving._cascade import Cascade, CompletionFn
from serving._chat import (
    add_chat_routes,
    principal_of,
)
from serving._conversations import ConversationStore
from serving._credentials import missing_credentials
from serving._decision_log import DecisionLogWriter
from serving._guards import CpuPool, LoadShedMiddleware
from serving._keys import FollowedKeyStore
from serving._limits import Limiter
from serving._metrics import Metrics
from serving._model_follow import ModelFollower, is_alias_uri
from serving._openai_api import (
    ApiError,
    BodyLimitMiddleware,
    install_error_handlers,
)
from serving._openapi import install_openapi
from serving._passthrough import add_passthrough_routes
from serving._reload import PolicyReloader, PolicyState
from serving._request_metrics import RequestMetricsMiddleware
from serving._route_api import add_route_api
from serving._scoring import TimedScorer, load_scorer, model_download_dir, registry_uri
from serving._settings import Settings
from serving._state import SharedState, StateError, open_state
from serving._tracing import Tracing

__all__ = ["Runtime", "create_app", "load_scorer", "worker_app"]

_log = logging.getLogger("tierroute.serving")


@dataclass
class Runtime:
    """Everything a request needs; built in the lifespan, one per app."""

    settings: Settings
    reloader: PolicyReloader
    metrics: Metrics
    checks: AnswerChecks
    keys: KeyStore
    authenticator: Authenticator
    log: DecisionLogWriter | None
    breaker: BreakerStore
    completion: CompletionFn | None = None  # injected (tests); else a litellm Router
    follower: ModelFollower | None = None  # when the model is models:/NAME@ALIAS
    ready: bool = False
    cpu: CpuPool = field(init=False)  # scoring off the event loop
    _cascades: dict[str, Cascade] = field(default_factory=dict)
    _last_cascade: tuple[Policy, Cascade] | None = None  # skips hashing the policy per request
    conversations: ConversationStore = field(init=False)  # last tier per conversation
    state: SharedState = field(init=False)  # Redis with TIERROUTE_REDIS_URL, else memory
    limiter: Limiter = field(init=False)  # per-key budgets and rate limits
    tracing: Tracing = field(default_factory=Tracing)

    def __post_init__(self) -> None:
        size, ttl = self.settings.conversation_cache_size, self.settings.conversation_ttl_s
        self.state = open_state(self.settings.redis_url)
        remote = self.state if self.settings.redis_url else None
        self.conversations = ConversationStore(size, ttl, remote=remote)
        self.limiter = Limiter(self.state)
        self.cpu = CpuPool(self.settings.cpu_threads)

    @classmethod
    def start(
        cls,
        settings: Settings,
        completion: CompletionFn | None = None,
        scorer: ComplexityScorer | None = None,
        tracer_provider: Any = None,
    ) -> Runtime:
        metrics = Metrics()
        follower = _follower(settings, metrics)
        if scorer is None:
            loaded = follower.load_initial() if follower else None
            scorer = loaded or load_scorer(settings.model, settings.tracking_uri)
        elif follower is not None:
            follower.adopt(scorer)
        timed = TimedScorer(scorer, metrics)

        def on_reload(ok: bool) -> None:  # the policy_info series follows every swap
            metrics.observe_reload(ok)
            if ok:
                state = reloader.state
                metrics.set_policy(state.version, state.router.scorer.version)
                metrics.set_calibration(state.policy)

        reloader = PolicyReloader(
            settings.policy,
            build_router=lambda policy: Router(policy, timed),
            poll_interval_s=settings.policy_poll_s,
            on_reload=on_reload,
        )
        metrics.set_policy(reloader.version, reloader.router.scorer.version)
        metrics.set_calibration(reloader.policy)
        keys: KeyStore | FollowedKeyStore
        if settings.api_keys_file is not None:
            keys = FollowedKeyStore(settings.api_keys_file)  # follows `tierroute keys` edits
            store = keys.store
        else:
            keys = store = KeyStore.parse_spec(settings.api_keys or "")
        log = None
        if settings.decision_log is not None:
            log = DecisionLogWriter(
                settings.decision_log, redact=settings.log_redact, fsync=settings.log_fsync
            )
        breaker = CircuitBreaker(
            threshold=settings.allowed_fails + 1,
            window_s=settings.breaker_window_s,
            cooldown_s=settings.cooldown_s,
            on_event=metrics.observe_circuit,
        )
        runtime = cls(
            settings,
            reloader,
            metrics,
            AnswerChecks(settings.refusal_patterns),
            store,
            Authenticator(keys),
            log,
            breaker,
            completion,
        )
        runtime.tracing = Tracing.from_settings(settings, tracer_provider)
        if settings.redis_url:  # an open circuit is open for every replica
            runtime.breaker = SharedBreaker(breaker, runtime.state)
        runtime.cascade_for(reloader.policy)  # build the litellm Router before serving
        if follower is not None:
            runtime.follower, follower.swap = follower, runtime.swap_scorer
        return runtime

    def swap_scorer(self, scorer: ComplexityScorer) -> None:
        """Serve ``scorer`` from the next request on (raises if no Router can use it)."""
        timed = TimedScorer(scorer, self.metrics)
        state = self.reloader.swap_router(lambda policy: Router(policy, timed))
        self.metrics.set_policy(state.version, scorer.version)

    def snapshot(self) -> PolicyState:
        if not self.ready:
            raise ApiError(
                503, "the service is not ready", code="not_ready", error_type="api_error"
            )
        return self.reloader.state

    def cascade_for(self, policy: Policy) -> Cascade:
        """The executor for ``policy`` (one litellm Router per policy version)."""
        last = self._last_cascade
        if last is not None and last[0] is policy:
            return last[1]
        key = policy.version_string
        cascade = self._cascades.get(key)
        if cascade is None:
            complete = self.completion
            if complete is None:
                from serving._litellm_router import build_completion

                complete = build_completion(policy, self.settings)
            timeout = self.settings.backend_timeout_s
            cascade = Cascade(complete, self.checks, timeout_s=timeout, breaker=self.breaker)
            self._cascades = {key: cascade, **dict(list(self._cascades.items())[:1])}
        self._last_cascade = (policy, cascade)
        return cascade

    async def readiness(self) -> dict[str, Any]:
        state = self.reloader.state
        shared: dict[str, Any] = {"shared_state": self.state.name}
        ping = getattr(self.state, "ping", None)
        try:
            if ping is not None:
                await ping()
        except StateError as exc:
            shared["shared_state_error"] = str(exc)
        missing = missing_credentials(state.policy) if self.completion is None else []
        usable = not missing or len(missing) < sum(len(t.deployments) for t in state.policy.tiers)
        ok = self.ready and "shared_state_error" not in shared and usable
        return {
            "status": "ready" if ok else "not_ready",
            **shared,
            "missing_credentials": missing,
            "classifier_version": state.router.scorer.version,
            "decision_log": str(self.log.path) if self.log else None,
            "auth": "on" if self.keys.enabled else "off",
            **self.reloader.status(),
            **(self.follower.status() if self.follower else {}),
        }


def _follower(settings: Settings, metrics: Metrics) -> ModelFollower | None:
    """Follows ``models:/NAME@ALIAS`` when polling is on (``model_poll_s``)."""
    if not is_alias_uri(settings.model) or not settings.model_poll_s:
        return None
    return ModelFollower(
        str(settings.model),
        tracking_uri=registry_uri(settings.model, settings.tracking_uri),
        download_dir=model_download_dir(),
        poll_interval_s=settings.model_poll_s,
        on_result=metrics.observe_model_swap,
    )


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


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
