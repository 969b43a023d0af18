"""The service's lifespan state: :class:`Runtime`, one per app, and what a request
reads from it (:func:`runtime_of`, :func:`principal_of`, :func:`request_id_of`).

The policy (hot-reloaded), scorer, litellm Router, decision log, metrics and API keys
live here, never in module globals. Route modules import this module; it imports no
route module (the app factory, :mod:`serving.http._app`, wires both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from policies import Policy
from router import ComplexityScorer, Router
from serving._decision_log import DecisionLogWriter, new_request_id
from serving._settings import Settings
from serving._state import SharedState, StateError, open_state
from serving.cascade import (
    AnswerChecks,
    BreakerStore,
    Cascade,
    CircuitBreaker,
    CompletionFn,
    SharedBreaker,
    missing_credentials,
)
from serving.http._auth import Authenticator, KeyStore, Principal
from serving.http._conversations import ConversationStore
from serving.http._guards import CpuPool
from serving.http._keys import FollowedKeyStore
from serving.http._limits import Limiter
from serving.http._metrics import Metrics
from serving.http._model_follow import ModelFollower, is_alias_uri
from serving.http._openai_api import ApiError
from serving.http._reload import PolicyReloader, PolicyState
from serving.http._scoring import TimedScorer, load_scorer, model_download_dir, registry_uri
from serving.http._tracing import Tracing

__all__ = ["Runtime", "principal_of", "request_id_of", "runtime_of"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


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
                from serving.cascade import build_completion

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


async def principal_of(request: Request) -> Principal:
    """The caller (FastAPI dependency): the API key's principal, or anonymous.

    ``async`` on purpose: FastAPI runs a sync dependency in a worker thread."""
    return runtime_of(request).authenticator(request)


def request_id_of(request: Request) -> str:
    """The client's ``x-request-id`` when it is a sane token, else a new id."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else new_request_id()
