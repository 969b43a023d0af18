"""The cascade with an injected completion callable: fallbacks, checks, escalation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from policies import Policy, default_policy
from router import Decision
from serving.cascade._answer_checks import AnswerChecks
from serving.cascade._cascade import (
    Cascade,
    CascadeError,
    Plan,
    plan_for_decision,
    plan_for_model,
)
from serving.cascade._stream import open_stream
from tests.fakes import (
    FRONTIER,
    MEDIUM,
    MEDIUM_SPEC,
    SMALL,
    SMALL_SPEC,
    FakeBackends,
    UpstreamError,
    reply,
)

ASK = [{"role": "user", "content": "Explain TCP slow start"}]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return default_policy()


def decision(
    tier: str = "small",
    model: str = "openai/mistral-7b-chat-spec",
    *,
    cascade: bool = True,
    rules: tuple[str, ...] = (),
) -> Decision:
    return Decision(
        tier=tier,
        model=model,
        speculative=model.endswith("-spec"),
        cascade=cascade,
        complexity=0.2,
        scores={"small": 0.6, "medium": 0.3, "frontier": 0.1},
        reasons=(),
        rules=rules,
        est_cost_usd=0.0,
        est_latency_ms=0.0,
        policy_version="test",
        classifier_version="test",
        input_tokens=10,
    )


def run(backends: FakeBackends, plan: Plan, params: dict[str, Any] | None = None) -> Any:
    cascade = Cascade(backends, AnswerChecks(), timeout_s=5)
    return asyncio.run(cascade.run(plan, ASK, params or {}))


def test_plan_starts_at_the_decided_deployment_and_climbs(policy: Policy) -> None:
    plan = plan_for_decision(policy, decision("small", "openai/mistral-7b-chat"))
    groups = [[t.group for t in stage] for stage in plan.stages]
    assert groups == [[SMALL, SMALL_SPEC], [MEDIUM_SPEC, MEDIUM], [FRONTIER]]
    assert plan.checks and plan.max_escalations == policy.cascade.max_escalations


def test_sql_rule_excludes_speculative_deployments_everywhere(policy: Policy) -> None:
    sql = decision(
        "medium", "openai/mixtral-8x7b-chat", cascade=False, rules=("sql-no-speculation",)
    )
    plan = plan_for_decision(policy, sql)
    targets = [t for stage in plan.stages for t in stage]
    assert targets and not any(t.deployment and t.deployment.speculative for t in targets)
    assert [t.tier for t in targets] == ["medium", "frontier", "small"]  # then the tier below
    assert not plan.checks


def test_a_failing_deployment_falls_back_to_the_next_one_then_the_next_tier(
    policy: Policy,
) -> None:
    backends = FakeBackends({SMALL_SPEC: UpstreamError(500), SMALL: UpstreamError(503)})
    outcome = run(backends, plan_for_decision(policy, decision()))
    assert backends.calls == [SMALL_SPEC, SMALL, MEDIUM_SPEC]
    assert [(a.kind, a.outcome) for a in outcome.attempts] == [
        ("primary", "error"),
        ("fallback", "error"),
        ("fallback", "ok"),
    ]
    assert outcome.attempts[0].error == "UpstreamError 500"
    assert outcome.target.tier == "medium" and outcome.escalations == 0
    assert outcome.attempts[-1].cost_usd == pytest.approx((10 * 0.6 + 20 * 0.6) / 1e6)


@pytest.mark.parametrize(
    ("answer", "params", "reason"),
    [
        (reply("I'm sorry, but I can't help with that."), {}, "refusal"),
        (reply("   "), {}, "empty"),
        (reply("The answer is cut", "length"), {}, "length"),
        (reply("sure: {not json"), {"response_format": {"type": "json_object"}}, "invalid_json"),
    ],
)
def test_a_failed_check_escalates_one_tier(
    policy: Policy, answer: dict[str, Any], params: dict[str, Any], reason: str
) -> None:
    backends = FakeBackends({SMALL_SPEC: answer, MEDIUM_SPEC: reply('{"answer": "fine"}')})
    outcome = run(backends, plan_for_decision(policy, decision()), params)
    assert backends.calls == [SMALL_SPEC, MEDIUM_SPEC]
    assert [(a.kind, a.outcome, a.error) for a in outcome.attempts] == [
        ("primary", "failed_check", reason),
        ("escalation", "ok", None),
    ]
    assert outcome.escalations == 1 and outcome.failed_check is None
    assert outcome.text == '{"answer": "fine"}'


def test_answers_that_pass_are_not_escalated(policy: Policy) -> None:
    json_answer = reply('{"ok": true}')
    backends = FakeBackends({SMALL_SPEC: json_answer})
    params = {"response_format": {"type": "json_object"}, "max_tokens": 5}
    outcome = run(backends, plan_for_decision(policy, decision()), params)
    assert backends.calls == [SMALL_SPEC] and outcome.escalations == 0
    cut = FakeBackends({SMALL_SPEC: reply("cut by the client's own limit", "length")})
    assert run(cut, plan_for_decision(policy, decision()), {"max_tokens": 5}).escalations == 0


def test_escalation_stops_after_max_steps_and_returns_the_last_answer(policy: Policy) -> None:
    refusal = reply("I'm sorry, I cannot help with that.")
    backends = FakeBackends({g: refusal for g in (SMALL_SPEC, MEDIUM_SPEC, FRONTIER)})
    capped = policy.model_copy(
        update={"cascade": policy.cascade.model_copy(update={"max_escalations": 1})}
    )
    outcome = run(backends, plan_for_decision(capped, decision()))
    assert backends.calls == [SMALL_SPEC, MEDIUM_SPEC]
    assert outcome.escalations == 1 and outcome.failed_check == "refusal"
    assert outcome.target.tier == "medium"


def test_the_cost_budget_blocks_escalation(policy: Policy) -> None:
    backends = FakeBackends({SMALL_SPEC: reply("I apologize, but no.")})
    plan = plan_for_decision(policy, decision())
    tight = Plan(plan.stages, True, 2, max_cost_usd=1e-9, input_tokens=10)
    outcome = run(backends, tight)
    assert backends.calls == [SMALL_SPEC] and outcome.failed_check == "refusal"


def test_no_checks_when_the_decision_forbids_the_cascade(policy: Policy) -> None:
    backends = FakeBackends({MEDIUM: reply("I'm sorry, but I can't do that.")})
    sql = decision(
        "medium", "openai/mixtral-8x7b-chat", cascade=False, rules=("sql-no-speculation",)
    )
    outcome = run(backends, plan_for_decision(policy, sql))
    assert backends.calls == [MEDIUM] and outcome.failed_check is None


def test_fallbacks_never_drop_below_an_answer_already_held(policy: Policy) -> None:
    backends = FakeBackends(
        {
            MEDIUM_SPEC: reply("I'm sorry, no."),
            MEDIUM: UpstreamError(500),
            FRONTIER: UpstreamError(500),
        }
    )
    outcome = run(
        backends, plan_for_decision(policy, decision("medium", "openai/mixtral-8x7b-chat-spec"))
    )
    assert backends.calls == [MEDIUM_SPEC, FRONTIER]  # never the small tier below
    assert outcome.text == "I'm sorry, no." and outcome.failed_check == "refusal"


@pytest.mark.parametrize(
    ("error", "status"),
    [(UpstreamError(500), 502), (TimeoutError(), 504), (UpstreamError(400), 400)],
)
def test_when_every_attempt_fails_the_error_says_why(
    policy: Policy, error: BaseException, status: int
) -> None:
    everything = (SMALL_SPEC, SMALL, MEDIUM_SPEC, MEDIUM, FRONTIER)
    backends = FakeBackends(dict.fromkeys(everything, error))
    with pytest.raises(CascadeError) as caught:
        run(backends, plan_for_decision(policy, decision()))
    assert caught.value.status_code == status
    assert len(caught.value.attempts) == 5
    assert "5 attempts" in str(caught.value)
    assert f"last error: {type(error).__name__}" in str(caught.value)


def test_a_hanging_backend_times_out_and_falls_back(policy: Policy) -> None:
    async def hang() -> None:
        await asyncio.sleep(10)

    backends = FakeBackends({SMALL_SPEC: lambda: None})

    async def complete(*, model: str, messages: list[Any], **params: Any) -> Any:
        if model == SMALL_SPEC:
            await hang()
        return await backends(model=model, messages=messages, **params)

    cascade = Cascade(complete, AnswerChecks(), timeout_s=0.05)
    outcome = asyncio.run(cascade.run(plan_for_decision(policy, decision()), ASK, {}))
    assert [a.outcome for a in outcome.attempts] == ["timeout", "ok"]


def test_pass_through_finds_a_policy_deployment_by_model_name(policy: Policy) -> None:
    plan = plan_for_model(policy, "mistral-7b-chat")
    assert plan is not None and [t.group for t in plan.stages[0]] == [SMALL]
    assert plan_for_model(policy, "gpt-5-nonexistent") is None


def stream(backends: FakeBackends, plan: Plan, params: dict[str, Any] | None = None) -> Any:
    async def go() -> tuple[Any, list[str]]:
        opened = await open_stream(
            Cascade(backends, AnswerChecks(), timeout_s=5), plan, ASK, params or {}
        )
        texts = [d.get("content", "") async for d, _ in opened.chunks()]
        return opened, texts

    return asyncio.run(go())


def test_stream_falls_back_before_the_first_token(policy: Policy) -> None:
    backends = FakeBackends({SMALL_SPEC: UpstreamError(429)})
    opened, texts = stream(backends, plan_for_decision(policy, decision()))
    assert "".join(texts).strip() == f"fine answer from {SMALL}"
    assert [(a.kind, a.outcome) for a in opened.attempts] == [
        ("primary", "rate_limited"),
        ("fallback", "ok"),
    ]
    assert opened.attempts[-1].ttft_ms is not None and opened.attempts[-1].output_tokens == 20


def test_stream_escalates_a_refusal_seen_in_the_held_back_prefix(policy: Policy) -> None:
    backends = FakeBackends(
        {SMALL_SPEC: reply("I'm sorry, but I can't help with that request today.")}
    )
    opened, texts = stream(backends, plan_for_decision(policy, decision()))
    assert opened.target.group == MEDIUM_SPEC and opened.escalations == 1
    assert "sorry" not in "".join(texts)
    assert [a.outcome for a in opened.attempts] == ["failed_check", "ok"]


def test_stream_broken_after_the_first_token_is_reported_not_retried(policy: Policy) -> None:
    async def broken() -> AsyncIterator[dict[str, Any]]:
        for word in ["A ", "long ", "answer ", "that ", "goes ", "on ", "and ", "on ", "then "]:
            yield {"choices": [{"delta": {"content": word * 4}, "finish_reason": None}]}
        raise UpstreamError(500)

    async def complete(*, model: str, messages: list[Any], **params: Any) -> Any:
        return broken()

    plan = plan_for_decision(policy, decision())

    async def go() -> tuple[Any, str]:
        opened = await open_stream(Cascade(complete, AnswerChecks()), plan, ASK, {})
        text = "".join([d.get("content", "") async for d, _ in opened.chunks()])
        return opened, text

    opened, text = asyncio.run(go())
    assert text.startswith("A A A A long") and opened.error == "UpstreamError"
    assert [a.outcome for a in opened.attempts] == ["error"]


def test_stream_dropped_before_the_holdback_is_sent_falls_back(policy: Policy) -> None:
    async def dropped() -> AsyncIterator[dict[str, Any]]:
        yield {"choices": [{"delta": {"content": "Half an ans"}, "finish_reason": None}]}
        raise UpstreamError(500)

    backends = FakeBackends({})

    async def complete(*, model: str, messages: list[Any], **params: Any) -> Any:
        if model == SMALL_SPEC:
            return dropped()
        return await backends(model=model, messages=messages, **params)

    async def go() -> tuple[Any, str]:
        plan = plan_for_decision(policy, decision())
        opened = await open_stream(Cascade(complete, AnswerChecks()), plan, ASK, {})
        text = "".join([d.get("content", "") async for d, _ in opened.chunks()])
        return opened, text

    opened, text = asyncio.run(go())
    assert text.strip() == f"fine answer from {SMALL}"  # nothing of the dropped stream
    assert [(a.kind, a.outcome) for a in opened.attempts] == [
        ("primary", "error"),
        ("fallback", "ok"),
    ]
