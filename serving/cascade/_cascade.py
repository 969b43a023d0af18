"""Execution: call deployments through litellm, check answers, fall back, escalate.

A :class:`Plan` lists the deployments to try, tier by tier (the decided tier first,
then each tier up; when ``fallback_down`` is set, the tiers below come last):

- **fallback** (a deployment failed: error, timeout, 429, cooldown): the next
  deployment of the tier, then the next tier. Availability first: fallbacks ignore
  the cost budget, and the client gets an answer whenever any deployment can give one.
- **escalation** (the answer failed a check, only when the decision allows the
  cascade): one tier up, at most ``cascade.max_escalations`` times and only while
  spent cost + the next tier's estimate stays within ``objective.max_cost_usd_per_request``
  and elapsed + its latency estimate within ``objective.latency_slo_ms``. When no
  escalation is left, the last answer is returned as it is.
- speculative deployments are left out when a matched rule switched speculation off
  (the SQL rule), in every tier, fallbacks included.

Each deployment is a litellm Router model group (``tierroute:<tier>:<index>``), so
litellm applies its timeouts and retries on 5xx per deployment; a deployment that
keeps failing is skipped by the cascade's circuit breaker (:mod:`serving.cascade._breaker`;
litellm never cools down a group of one). The plan walks the groups itself so that
every attempt is logged and checks run between tiers.
The completion callable is injectable (default: that Router), so tests need no sockets.
Streaming lives in :mod:`serving.cascade._stream`, the litellm Router in
:mod:`serving.cascade._litellm_router`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from policies import BackendError, Deployment, Policy
from router import Attempt, Decision
from serving.cascade._answer_checks import AnswerChecks, Verdict
from serving.cascade._breaker import BreakerStore, call_result

__all__ = [
    "Cascade",
    "CascadeError",
    "CUT",
    "CompletionFn",
    "Outcome",
    "Plan",
    "Target",
    "plan_for_decision",
    "passthrough_plan",
    "plan_for_model",
]

AttemptKind = Literal["primary", "fallback", "escalation"]
CUT = "cancelled"  # the error of an attempt cut short because the client went away
CompletionFn = Callable[..., Awaitable[Any]]
"""``await fn(model=..., messages=..., stream=..., **params)`` like ``litellm.acompletion``:
a chat.completion (object with ``model_dump`` or dict), or an async iterator of chunks."""


@dataclass(frozen=True)
class Target:
    """One deployment the cascade may call; ``group`` is what the completion fn gets."""

    group: str
    tier: str
    tier_index: int
    deployment: Deployment | None  # None: a pass-through model the policy does not know
    expected_output_tokens: int = 256

    @property
    def model(self) -> str:
        return self.deployment.model if self.deployment is not None else self.group

    def cost_usd(self, input_tokens: int | None, output_tokens: int | None) -> float | None:
        if self.deployment is None or input_tokens is None or output_tokens is None:
            return None
        return self.deployment.cost_usd(input_tokens, output_tokens)


@dataclass(frozen=True)
class Plan:
    """Deployments to try, one stage per tier, in order; see the module docstring."""

    stages: tuple[tuple[Target, ...], ...]
    checks: bool = False
    max_escalations: int = 0
    max_cost_usd: float | None = None
    latency_slo_ms: float | None = None
    input_tokens: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)  # see serving.http._params

    def params_for(self, target: Target, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` plus the extra parameters ``target``'s deployment allows."""
        if not self.extra or target.deployment is None:
            return params
        allowed = target.deployment.extra_params
        return {**params, **{k: v for k, v in self.extra.items() if k in allowed}}

    def can_escalate(self, stage: int, escalations: int, spent: float, elapsed_ms: float) -> bool:
        """Whether a failed check at ``stage`` may move to ``stage + 1``."""
        if not self.checks or escalations >= self.max_escalations:
            return False
        if stage + 1 >= len(self.stages):
            return False
        here, nxt = self.stages[stage][0], self.stages[stage + 1][0]
        if nxt.tier_index <= here.tier_index:
            return False  # the stages below are for fallbacks only
        cost = nxt.cost_usd(self.input_tokens, nxt.expected_output_tokens) or 0.0
        if self.max_cost_usd is not None and spent + cost > self.max_cost_usd:
            return False
        if self.latency_slo_ms is not None and nxt.deployment is not None:
            latency = nxt.deployment.latency_ms(nxt.expected_output_tokens)
            if elapsed_ms + latency > self.latency_slo_ms:
                return False
        return True


@dataclass
class Outcome:
    """What a request got: the answer body (None if every attempt failed) and why."""

    body: dict[str, Any] | None
    target: Target | None
    attempts: list[Attempt] = field(default_factory=list)
    escalations: int = 0
    failed_check: str | None = None  # set when the returned answer failed a check

    @property
    def text(self) -> str:
        if self.body is None:
            return ""
        return _message_text(self.body)


class CascadeError(BackendError):
    """Every attempt failed; ``attempts`` says how. Status 502, 504 or upstream 4xx."""

    def __init__(self, message: str, attempts: Sequence[Attempt], status_code: int) -> None:
        super().__init__(message)
        self.attempts = tuple(attempts)
        self.status_code = status_code
        if status_code == 504:
            self.code = "upstream_timeout"
        elif status_code < 500:
            self.error_type, self.code = "invalid_request_error", "upstream_rejected"


def group_name(tier: str, index: int) -> str:
    return f"tierroute:{tier}:{index}"


def _targets(policy: Policy, tier: int, speculation: bool, need_tokens: int) -> list[Target]:
    spec = policy.tiers[tier]
    out = [
        Target(group_name(spec.name, i), spec.name, tier, d, spec.expected_output_tokens)
        for i, d in enumerate(spec.deployments)
        if (speculation or not d.speculative)
        and d.context_window >= need_tokens + spec.expected_output_tokens
    ]
    if speculation:  # the router prefers speculative deployments (faster, same output)
        out.sort(key=lambda t: not (t.deployment and t.deployment.speculative))
    return out


def speculation_allowed(policy: Policy, decision: Decision) -> bool:
    """False when a rule the decision matched switched speculation off."""
    matched = set(decision.rules)
    return not any(r.actions.speculation is False for r in policy.overrides if r.name in matched)


def plan_for_decision(
    policy: Policy, decision: Decision, *, forced: bool = False, fallback_down: bool = True
) -> Plan:
    """The plan for a routed (or forced-tier) decision."""
    start = policy.tier_index(decision.tier)
    speculation = speculation_allowed(policy, decision)
    tokens = decision.input_tokens
    if forced:
        order = [start]
    else:
        order = list(range(start, len(policy.tiers)))
        if fallback_down:
            order += list(range(start - 1, -1, -1))
    stages: list[tuple[Target, ...]] = []
    for tier in order:
        targets = _targets(policy, tier, speculation, tokens)
        if tier == start:  # the decided deployment first
            targets.sort(key=lambda t: t.model != decision.model)
        if targets:
            stages.append(tuple(targets))
    if not stages:  # nothing fits the context window: let the decided tier try anyway
        anyway = tuple(_targets(policy, start, speculation, 0))
        stages = [anyway] if anyway else []
    return Plan(
        stages=tuple(stages),
        checks=decision.cascade and not forced,
        max_escalations=policy.cascade.max_escalations,
        max_cost_usd=policy.objective.max_cost_usd_per_request,
        latency_slo_ms=policy.objective.latency_slo_ms,
        input_tokens=tokens,
    )


def plan_for_model(policy: Policy, model: str) -> Plan | None:
    """A pass-through plan for a deployment the policy knows by model name, else None."""
    for tier_index, tier in enumerate(policy.tiers):
        for i, d in enumerate(tier.deployments):
            if model in (d.model, d.model.split("/", 1)[-1]):
                target = Target(
                    group_name(tier.name, i), tier.name, tier_index, d, tier.expected_output_tokens
                )
                return Plan(stages=((target,),))
    return None


def passthrough_plan(model: str) -> Plan:
    return Plan(stages=((Target(model, "passthrough", -1, None),),))


class Cascade:
    """Runs plans with one completion callable and one set of answer checks."""

    def __init__(
        self, complete: CompletionFn, checks: AnswerChecks, *, timeout_s: float = 60.0,
        breaker: BreakerStore | None = None,
    ) -> None:  # fmt: skip
        self.complete = complete
        self.checks = checks
        self.timeout_s = timeout_s
        self.breaker = breaker

    async def admits(self, target: Target) -> bool:
        """False while ``target``'s circuit is open (see :mod:`serving.cascade._breaker`)."""
        if self.breaker is None or target.deployment is None:
            return True
        return await self.breaker.allow(target.group)

    async def report(self, target: Target, attempt: Attempt) -> None:
        """Tell the breaker what ``attempt`` says about its deployment."""
        if self.breaker is None or target.deployment is None:
            return
        result = call_result(attempt.outcome, attempt.error)
        if result is not None:
            await self.breaker.record(target.group, result)

    async def run(
        self,
        plan: Plan,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        *,
        bypass: bool = False,
        attempts: list[Attempt] | None = None,
    ) -> Outcome:
        """Non-streaming: the first answer that passes (or the last that failed a check).
        Open circuits are skipped unless all are (``bypass``); ``attempts``: the caller's
        list, filled as calls are made (so a cancelled request still shows them)."""
        started = time.monotonic()
        skipped = 0
        attempts = [] if attempts is None else attempts  # the caller's, to see them if cut
        details: list[str] = []  # what each failure said, for the final error message
        best: Outcome | None = None  # the last answer that failed a check
        escalations, spent, stage = 0, 0.0, 0
        kind: AttemptKind = "primary"
        while stage < len(plan.stages):
            if best is not None and best.target is not None:
                if plan.stages[stage][0].tier_index < best.target.tier_index:
                    break  # never fall back below an answer we already hold
            answer: Outcome | None = None
            for target in plan.stages[stage]:
                if not bypass and not await self.admits(target):
                    skipped += 1
                    continue
                call_params = plan.params_for(target, params)
                called = self._call(target, messages, call_params, kind, details, attempts)
                body, attempt = await called
                spent += attempt.cost_usd or 0.0
                kind = "fallback"
                if body is None:
                    attempts.append(attempt)
                    continue
                verdict = self.checks.check(body, params) if plan.checks else None
                attempts.append(_failed(attempt, verdict) if verdict else attempt)
                reason = verdict.reason if verdict else None
                answer = Outcome(body, target, attempts, escalations, reason)
                break
            if answer is None:  # every deployment of this tier failed: fall back
                stage += 1
                continue
            if answer.failed_check is None:
                return answer
            best = answer
            elapsed_ms = (time.monotonic() - started) * 1000
            if not plan.can_escalate(stage, escalations, spent, elapsed_ms):
                return answer
            escalations += 1
            stage, kind = stage + 1, "escalation"
        if best is not None:
            best.escalations = escalations
            return best
        if skipped and not attempts:  # every circuit is open: try them anyway
            return await self.run(plan, messages, params, bypass=True, attempts=attempts)
        raise cascade_error(attempts, details)

    async def _call(
        self,
        target: Target,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        kind: AttemptKind,
        details: list[str],
        attempts: list[Attempt],
    ) -> tuple[dict[str, Any] | None, Attempt]:
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.complete(model=target.group, messages=messages, **params)
            body = as_dict(response)
        except asyncio.CancelledError:  # the client left: the record names the call it cut
            latency = round((time.perf_counter() - t0) * 1000, 3)
            attempts.append(Attempt(target.model, target.tier, kind, "error", latency, error=CUT))
            raise
        except Exception as exc:  # every backend failure becomes a logged attempt
            latency = (time.perf_counter() - t0) * 1000
            outcome, name = classify_error(exc)
            details.append(detail_of(exc))
            failed = Attempt(
                target.model, target.tier, kind, outcome, latency, error=short_error(name, exc)
            )
            await self.report(target, failed)
            return None, failed
        latency = (time.perf_counter() - t0) * 1000
        usage = body.get("usage") or {}
        n_in, n_out = usage.get("prompt_tokens"), usage.get("completion_tokens")
        attempt = Attempt(target.model, target.tier, kind, "ok", round(latency, 3), None,
                          n_in, n_out, target.cost_usd(n_in, n_out))  # fmt: skip
        await self.report(target, attempt)
        return body, attempt


def _failed(attempt: Attempt, verdict: Verdict) -> Attempt:
    return Attempt(**{**attempt.__dict__, "outcome": "failed_check", "error": verdict.reason})


def as_dict(response: Any) -> dict[str, Any]:
    """A litellm ModelResponse / pydantic object / dict as a plain dict."""
    if isinstance(response, dict):
        return response
    dump = getattr(response, "model_dump", None)
    if callable(dump):
        data = dump()
        if isinstance(data, dict):
            return data
    raise TypeError(f"completion returned {type(response).__name__}, not a chat completion")


def _message_text(body: dict[str, Any]) -> str:
    choices = body.get("choices") or [{}]
    content = (choices[0].get("message") or {}).get("content")
    return content if isinstance(content, str) else ""


def classify_error(exc: BaseException) -> tuple[Any, str]:
    """(Attempt outcome, short error name) for a failed backend call."""
    name = type(exc).__name__
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return "timeout", name
    if "No deployments available" in str(exc) or name == "RouterRateLimitError":
        return "rate_limited", "cooldown"
    if getattr(exc, "status_code", None) == 429 or "RateLimit" in name:
        return "rate_limited", name
    return "error", name


def short_error(name: str, exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    return f"{name} {status}" if isinstance(status, int) else name


def detail_of(exc: BaseException) -> str:
    """One line on why a backend call failed (for the client's error message)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def cascade_error(attempts: Sequence[Attempt], details: Sequence[str] = ()) -> CascadeError:
    """The error for a request that no deployment answered."""
    status = 502
    if attempts and all(a.outcome == "timeout" for a in attempts):
        status = 504
    last = attempts[-1].error if attempts else None
    code = last.rsplit(" ", 1)[-1] if last else ""
    if code.isdigit() and 400 <= int(code) < 500 and int(code) not in (408, 429):
        status = int(code)  # the upstream rejected the request itself: tell the client
    tried = "; ".join(f"{a.tier}/{a.model}: {a.error or a.outcome}" for a in attempts[-6:])
    message = f"no backend could answer ({len(attempts)} attempts): {tried}"
    if details:
        message += f"; last error: {details[-1]}"
    return CascadeError(message, attempts, status)
