"""``POST /v1/chat/completions``: resolve the model, run the cascade, answer, log.

``model`` decides what happens:

- ``tierroute/auto`` (or ``auto``): the router decides; the cascade may escalate;
- ``tierroute/<tier>``: that tier only (its deployments in order, no cascade);
- any other string: passed through unchanged: to the policy deployment with that
  model name, else (``passthrough`` setting) straight to litellm.

Every routed or passed-through request writes one decision-log record before the
client sees the end of the answer (non-streaming: before the response; streaming:
before ``data: [DONE]``), so an answer a client received always has its record.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from policies import Policy, PromptError
from router import Attempt, Decision, DecisionRecord, estimate_tokens
from serving._auth import Principal
from serving._cascade import (
    CascadeError,
    Outcome,
    Plan,
    Target,
    passthrough_plan,
    plan_for_decision,
    plan_for_model,
)
from serving._cascade_stream import OpenStream, open_stream
from serving._conversations import Conversation, conversation_of
from serving._decision_log import new_request_id, prompt_sha256, utc_now_iso
from serving._openai_api import ApiError, ChatCompletionRequest, error_body, parse_body
from serving._reload import PolicyState

if TYPE_CHECKING:
    from serving._app import Runtime

__all__ = [
    "AUTO_MODELS",
    "add_chat_routes",
    "decision_dict",
    "principal_of",
    "last_user_text",
    "request_id_of",
]

AUTO_MODELS = frozenset({"auto", "tierroute/auto"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def request_id_of(request: Request) -> str:
    """The client's ``x-request-id`` when it is a sane token, else a new id."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else new_request_id()


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def decision_dict(decision: Decision) -> dict[str, Any]:
    """``Decision.to_dict()`` without ``dataclasses.asdict``'s deep copies (hot path)."""
    data = dict(decision.__dict__)
    data["scores"] = dict(decision.scores)
    for key in ("reasons", "rules", "detectors"):
        data[key] = list(data[key])
    return data


def _check_encodable(messages: list[dict[str, Any]]) -> None:
    """Lone surrogates cannot be sent to a backend as UTF-8: a 400 that says where."""
    for i, message in enumerate(messages):
        try:
            json.dumps(message, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise PromptError(
                f"messages[{i}]: contains an unpaired surrogate {exc.object[exc.start : exc.end]!r}"
                " that is not valid UTF-8"
            ) from exc


@dataclass
class _Call:
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

    def resolve(self) -> Plan:
        """Decide what to call (see the module docstring)."""
        model, policy = self.body.model, self.state.policy
        self.principal.require_model(model)
        meta = self.body.metadata or {}
        if model in AUTO_MODELS:
            routed = self.state.router.route(self.messages, metadata=meta)
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
            self.decision, plan = self._forced(tier, meta)
        else:
            found = plan_for_model(policy, model)
            if found is None and not self._passes_through(model):
                raise _model_not_found(model, policy)
            plan = found or passthrough_plan(model)
        self.plan = plan
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

    def _forced(self, tier: str, meta: dict[str, Any]) -> tuple[Decision, Plan]:
        routed = self.state.router.route(self.messages, metadata=meta)
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
        if error:
            meta["error"] = error
        return DecisionRecord(
            request_id=self.request_id,
            timestamp=utc_now_iso(),
            prompt_sha256=prompt_sha256(prompt),
            decision=decision_dict(self.decision) if self.decision else {},
            attempts=tuple(attempts),
            status="error" if error else "ok",
            tenant=self.principal.tenant,
            prompt=prompt,
            response=text,
            final_model=target.model if target else None,
            final_tier=target.tier if target else None,
            escalations=escalations,
            metadata=meta,
            conversation_id=self.conversation.id if self.conversation else None,
            user_turns=self.conversation.user_turns if self.conversation else None,
        )

    async def log(self, record: DecisionRecord) -> None:
        runtime = self.runtime
        if runtime.log is not None:
            t0 = time.perf_counter()
            await runtime.log.awrite(record)
            runtime.metrics.observe_log_write(time.perf_counter() - t0)
        self._observe(record)

    def log_now(self, record: DecisionRecord) -> None:
        """Blocking write, for a stream the client abandoned (the task may be cancelled)."""
        if self.runtime.log is not None:
            self.runtime.log.write(record)
        self._observe(record)

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


def _usage(call: _Call, outcome: Outcome) -> dict[str, Any]:
    usage = (outcome.body or {}).get("usage")
    if isinstance(usage, dict) and usage.get("completion_tokens") is not None:
        return usage
    prompt = call.decision.input_tokens if call.decision else 0
    completion = estimate_tokens(outcome.text) if outcome.text else 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


async def _complete(call: _Call, plan: Plan) -> Response:
    cascade = call.runtime.cascade_for(call.state.policy)
    params = call.body.backend_params()
    try:
        outcome = await cascade.run(plan, call.messages, params)
    except CascadeError as exc:
        await call.log(
            call.record(list(exc.attempts), target=None, text=None, escalations=0, error=str(exc))
        )
        raise
    raw = outcome.body or {}
    target = outcome.target
    assert target is not None
    body = {
        "id": f"chatcmpl-{call.request_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": target.model,
        "choices": raw.get("choices") or [],
        "usage": _usage(call, outcome),
        "system_fingerprint": raw.get("system_fingerprint"),
    }
    record = call.record(
        outcome.attempts,
        target=target,
        text=outcome.text,
        escalations=outcome.escalations,
        failed_check=outcome.failed_check,
    )
    await call.log(record)
    return JSONResponse(body, headers=call.headers(target, outcome.escalations))


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _sse(call: _Call, opened: OpenStream) -> AsyncIterator[str]:
    created = int(time.time())
    head: dict[str, Any] = {"id": f"chatcmpl-{call.request_id}", "object": "chat.completion.chunk"}
    head |= {"created": created, "model": opened.target.model}
    done = False
    try:
        async for delta, finish in opened.chunks():
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            yield _event({**head, "choices": [choice]})
        if opened.error:
            message = f"the upstream stream of {opened.target.model} broke: {opened.error}"
            yield _event(error_body(message, "api_error", "stream_interrupted"))
        elif call.body.wants_usage_chunk:
            usage = opened.usage or _usage(call, Outcome({"choices": []}, opened.target))
            yield _event({**head, "choices": [], "usage": usage})
        await call.log(_stream_record(call, opened))
        done = True
        yield "data: [DONE]\n\n"
    finally:
        if not done:  # the client went away (or sending failed): still log the request
            opened.error = opened.error or "client_disconnected"
            opened.finish()
            call.log_now(_stream_record(call, opened))
            await opened.close()


def _stream_record(call: _Call, opened: OpenStream) -> DecisionRecord:
    opened.finish()
    return call.record(
        opened.attempts,
        target=opened.target,
        text="".join(opened.text),
        escalations=opened.escalations,
        error=opened.error,
        failed_check=opened.failed_check,
    )


async def _stream(call: _Call, plan: Plan) -> Response:
    runtime = call.runtime
    cascade = runtime.cascade_for(call.state.policy)
    params = call.body.backend_params()
    try:
        opened = await open_stream(
            cascade,
            plan,
            call.messages,
            params,
            holdback_chars=runtime.settings.stream_holdback_chars,
        )
    except CascadeError as exc:
        await call.log(
            call.record(list(exc.attempts), target=None, text=None, escalations=0, error=str(exc))
        )
        raise
    headers = call.headers(opened.target, opened.escalations)
    headers["cache-control"] = "no-cache"
    return StreamingResponse(_sse(call, opened), media_type="text/event-stream", headers=headers)


async def principal_of(request: Request) -> Principal:
    """The caller (FastAPI dependency): the API key's principal, or anonymous.

    ``async`` on purpose: FastAPI runs a sync dependency in a worker thread."""
    runtime: Runtime = request.app.state.runtime
    return runtime.authenticator(request)


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions`` (see the module docstring)."""
    runtime: Runtime = request.app.state.runtime
    principal = await principal_of(request)
    body = await parse_body(request, ChatCompletionRequest)
    messages = body.message_dicts()
    _check_encodable(messages)
    call = _Call(runtime, runtime.snapshot(), body, principal, request_id_of(request), messages)
    extra = body.model_extra
    call.conversation = conversation_of(request, messages, principal.tenant, body.metadata, extra)
    plan = call.resolve()
    if body.stream:
        return await _stream(call, plan)
    return await _complete(call, plan)


def add_chat_routes(app: FastAPI) -> None:
    app.router.add_route("/v1/chat/completions", chat_completions, methods=["POST"])
