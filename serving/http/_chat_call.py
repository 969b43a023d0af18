"""One ``/v1/chat/completions`` request on its way through the service.

:class:`ChatCall` resolves the request's ``model`` to a cascade plan (see
:mod:`serving.http._chat` for what each model string means), builds the ``x-tierroute-*``
response headers and the decision-log record, and writes that record, noting the
answering tier for sticky conversations and observing the metrics.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policies import Policy, PromptError
from router import Attempt, Decision, DecisionRecord
from serving.cascade import Plan, Target, passthrough_plan, plan_for_decision, plan_for_model
from serving.http._auth import Principal
from serving.http._conversations import Conversation
from serving.http._gateway import after_request, after_request_now
from serving.http._openai_api import ApiError, ChatCompletionRequest
from serving.http._params import check_extra_params, refuse_steering
from serving.http._record import decision_record, last_user_text
from serving.http._reload import PolicyState

if TYPE_CHECKING:
    from serving.http._runtime import Runtime

__all__ = ["AUTO_MODELS", "ChatCall"]


AUTO_MODELS = frozenset({"auto", "tierroute/auto"})


@dataclass
class ChatCall:
    """One chat request on its way through the service."""

    runtime: Runtime
    state: PolicyState
    body: ChatCompletionRequest
    principal: Principal
    request_id: str
    messages: list[dict[str, Any]]
    decision: Decision | None = None
    plan: Plan | None = None
    conversation: Conversation | None = None
    started_ns: int = field(default_factory=time.time_ns)  # for the trace (serving.http._tracing)
    decided_ns: int | None = None
    trace_headers: Mapping[str, str] | None = None  # the caller's traceparent, if any
    logged: bool = False  # its record was written (one record per request)
    attempts: list[Attempt] = field(default_factory=list)  # as they are made

    async def resolve(self) -> Plan:
        """Decide what to call (see the module docstring); routing runs off the loop."""
        model, policy = self.body.model, self.state.policy
        self.principal.require_model(model)
        extra = self.body.extra_params()
        refuse_steering(extra)  # before any work
        meta = self.body.metadata or {}
        route = self.state.router.route
        if model in AUTO_MODELS:
            routed = await self.runtime.cpu.run(route, self.messages, metadata=meta)
            stick = self.runtime.conversations.stick  # no bouncing down mid-conversation
            self.decision = stick(self.state.router, routed, self.conversation)
            plan = plan_for_decision(
                policy, self.decision, fallback_down=self.runtime.settings.fallback_down
            )
            plan = self._allowed(plan)
        elif model.startswith("tierroute/"):
            tier = model.removeprefix("tierroute/")
            if tier not in policy.tier_names:
                raise _model_not_found(model, policy)
            self.principal.require_tier(tier)
            routed = await self.runtime.cpu.run(route, self.messages, metadata=meta)
            self.decision, plan = self._forced(tier, routed)
        else:
            found = plan_for_model(policy, model)
            if found is None and not self._passes_through(model):
                raise _model_not_found(model, policy)
            plan = found or passthrough_plan(model)
            self.principal.require_tier(plan.stages[0][0].tier)  # the tier actually called
        self.plan = plan = check_extra_params(extra, plan)
        self.decided_ns = time.time_ns()
        return plan

    def _passes_through(self, model: str) -> bool:
        """Whether pass-through is on and the completion fn can reach ``model``."""
        if not self.runtime.settings.passthrough:
            return False
        complete = self.runtime.cascade_for(self.state.policy).complete
        serves = getattr(complete, "serves", None)  # litellm: a provider it knows
        return serves is None or bool(serves(model))

    def _allowed(self, plan: Plan) -> Plan:
        stages = tuple(s for s in plan.stages if self.principal.allows_tier(s[0].tier))
        if not stages:
            self.principal.require_tier(plan.stages[0][0].tier)  # raises the 403
        return dataclasses.replace(plan, stages=stages)

    def _forced(self, tier: str, routed: Decision) -> tuple[Decision, Plan]:
        base = dataclasses.replace(routed, tier=tier, model="", cascade=False)
        plan = plan_for_decision(self.state.policy, base, forced=True)
        if not plan.stages or not plan.stages[0]:
            raise PromptError(
                f"model: tier {tier!r} has no deployment that may serve this request "
                f"(rules {list(routed.rules)} switched speculation off)"
            )
        first = plan.stages[0][0]
        assert first.deployment is not None
        out = first.expected_output_tokens
        decision = dataclasses.replace(
            base,
            model=first.model,
            speculative=first.deployment.speculative,
            reasons=(*routed.reasons, f"request:forced-{tier}"),
            est_cost_usd=first.deployment.cost_usd(routed.input_tokens, out),
            est_latency_ms=first.deployment.latency_ms(out),
        )
        return decision, plan

    def headers(self, target: Target | None, escalations: int) -> dict[str, str]:
        headers = {"x-tierroute-request-id": self.request_id}
        if target is not None:
            speculative = bool(target.deployment and target.deployment.speculative)
            headers["x-tierroute-tier"] = target.tier
            headers["x-tierroute-model"] = _header_safe(target.model)
            headers["x-tierroute-speculative"] = str(speculative).lower()
            headers["x-tierroute-escalations"] = str(escalations)
        if self.decision is not None:
            headers["x-tierroute-reasons"] = _header_safe("; ".join(self.decision.reasons))
            headers["x-tierroute-decided-tier"] = self.decision.tier
        return headers

    def record(
        self,
        attempts: list[Attempt],
        *,
        target: Target | None,
        text: str | None,
        escalations: int,
        error: str | None = None,
        failed_check: str | None = None,
        cancelled: bool = False,
    ) -> DecisionRecord:
        prompt = last_user_text(self.messages)
        meta: dict[str, Any] = {
            "endpoint": "/v1/chat/completions",
            "requested_model": self.body.model,
            "stream": self.body.stream,
        }
        if self.principal.key_id:
            meta["key_id"] = self.principal.key_id
        if self.body.metadata:
            meta["request_metadata"] = self.body.metadata
        if failed_check:
            meta["failed_check"] = failed_check
        if error or cancelled:
            meta["error"] = error or "client_disconnected"
        return decision_record(
            self.request_id,
            prompt,
            self.principal,
            metadata=meta,
            decision=self.decision,
            attempts=attempts,
            status="cancelled" if cancelled else ("error" if error else "ok"),
            response=text,
            final_model=target.model if target else None,
            final_tier=target.tier if target else None,
            escalations=escalations,
            conversation=self.conversation,
        )

    async def log(self, record: DecisionRecord) -> None:
        self.logged = True  # a write cancelled midway still lands (the writer thread's)
        runtime = self.runtime
        if runtime.log is not None:
            t0 = time.perf_counter()
            await runtime.log.awrite(record)
            runtime.metrics.observe_log_write(time.perf_counter() - t0)
        self._observe(record)
        await after_request(self, record)

    def log_now(self, record: DecisionRecord) -> None:
        """Blocking write, for a stream the client abandoned (the task may be cancelled)."""
        self.logged = True
        if self.runtime.log is not None:
            self.runtime.log.write(record)
        self._observe(record)
        after_request_now(self, record)

    def _observe(self, record: DecisionRecord) -> None:
        if self.conversation and self.body.model in AUTO_MODELS and record.status == "ok":
            conversations = self.runtime.conversations  # the tier that answered, escalated
            conversations.remember(self.state.policy, self.conversation, record.final_tier)
        if self.decision is not None:
            self.runtime.metrics.observe_record(record)
        else:
            self.runtime.metrics.observe_attempts(record.attempts)


def _model_not_found(model: str, policy: Policy) -> ApiError:
    """OpenAI's answer to an unknown model: 404, ``model_not_found``, ``param`` null."""
    known = ", ".join(f"tierroute/{t}" for t in ("auto", *policy.tier_names))
    return ApiError(
        404,
        f"The model `{model}` does not exist or you do not have access to it. "
        f"This service routes {known} and the models GET /v1/models lists.",
        code="model_not_found",
    )


def _header_safe(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")[:1000]
