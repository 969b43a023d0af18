"""Circuit breaking: a deployment that keeps failing is skipped, then tried again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from serving._state import MemoryState, RedisState
from serving.cascade._breaker import CircuitBreaker, SharedBreaker, call_result
from tests.fakes import HELLO, FakeBackends, UpstreamError, make_client, records

SPEC, PLAIN = "tierroute:small:0", "tierroute:small:1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_after_the_threshold_then_half_opens_after_the_cooldown() -> None:
    clock = Clock()
    events: list[tuple[str, str]] = []
    breaker = CircuitBreaker(
        threshold=3,
        window_s=60,
        cooldown_s=30,
        clock=clock,
        on_event=lambda k, e: events.append((k, e)),
    )

    async def scenario() -> list[Any]:
        seen = []
        for _ in range(3):
            seen.append(await breaker.allow("a"))
            await breaker.record("a", False)
        seen.append(await breaker.allow("a"))  # open: skipped
        seen.append((await breaker.snapshot())["a"]["state"])
        clock.now += 31
        seen.append(await breaker.allow("a"))  # half-open: one more try
        await breaker.record("a", False)  # fails: open again at once
        seen.append(await breaker.allow("a"))
        clock.now += 31
        seen.append(await breaker.allow("a"))
        await breaker.record("a", True)  # answers: closed, failures forgotten
        seen.append((await breaker.snapshot())["a"]["state"])
        await breaker.record("a", False)
        seen.append(await breaker.allow("a"))  # one failure is not enough again
        return seen

    assert asyncio.run(scenario()) == [
        True,
        True,
        True,
        False,
        "open",
        True,
        False,
        True,
        "closed",
        True,
    ]
    assert [e for _, e in events] == [
        "open",
        "skip",
        "half_open",
        "open",
        "skip",
        "half_open",
        "close",
    ]


def test_failures_old_than_the_window_or_amid_successes_do_not_open_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, window_s=60, cooldown_s=30, clock=clock)

    async def scenario() -> list[bool]:
        for _ in range(2):
            await breaker.record("a", False)
        clock.now += 61  # those two are forgotten
        await breaker.record("a", False)
        first = await breaker.allow("a")
        for ok in [True, True, True, True, False, False]:  # 3 of 7 failed: under half
            await breaker.record("a", ok)
        return [first, await breaker.allow("a")]

    assert asyncio.run(scenario()) == [True, True]


@pytest.mark.parametrize(
    ("outcome", "error", "result"),
    [
        ("ok", None, True),
        ("failed_check", "refusal", True),
        ("error", "InternalServerError 500", False),
        ("error", "APIConnectionError", False),
        ("timeout", "Timeout", False),
        ("rate_limited", "RateLimitError 429", False),
        ("error", "BadRequestError 400", None),  # the request, not the deployment
        ("rate_limited", "cooldown", None),
    ],
)
def test_what_counts_against_a_deployment(outcome: str, error: str | None, result: Any) -> None:
    assert call_result(outcome, error) is result


@pytest.mark.parametrize(
    "failure",
    [UpstreamError(500), TimeoutError(), ConnectionRefusedError(111, "Connection refused")],
    ids=["500", "timeout", "refused"],
)
def test_a_failing_deployment_is_skipped_and_shows_in_readyz_and_metrics(
    tmp_path: Path, failure: BaseException
) -> None:
    client, backends = make_client(tmp_path, FakeBackends({SPEC: failure}))
    body = {"model": "tierroute/small", "messages": HELLO}
    with client:
        answers = [client.post("/v1/chat/completions", json=body) for _ in range(10)]
        ready = client.get("/readyz").json()
        metrics = client.get("/metrics").text
    assert [a.status_code for a in answers] == [200] * 10  # the other deployment answers
    assert backends.calls.count(SPEC) == 3  # then its circuit opened
    assert backends.calls.count(PLAIN) == 10
    assert ready["circuits"][SPEC]["state"] == "open"
    assert f'tierroute_circuit_open{{deployment="{SPEC}"}} 1.0' in metrics
    assert f'tierroute_circuit_events_total{{deployment="{SPEC}",event="skip"}} 7.0' in metrics
    first_attempts = [r.attempts[0].model for r in records(tmp_path)]
    assert first_attempts[3:] == ["openai/mistral-7b-chat"] * 7  # no wasted first try


def test_when_every_circuit_is_open_the_deployments_are_tried_anyway(tmp_path: Path) -> None:
    client, backends = make_client(
        tmp_path, FakeBackends({SPEC: UpstreamError(500), PLAIN: UpstreamError(500)})
    )
    body = {"model": "tierroute/small", "messages": HELLO}
    with client:
        answers = [client.post("/v1/chat/completions", json=body) for _ in range(5)]
    assert [a.status_code for a in answers] == [502] * 5
    assert len(backends.calls) == 10  # never a request that calls nothing


async def _dropping_stream() -> AsyncIterator[dict[str, Any]]:
    yield {"choices": [{"delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    for _ in range(20):
        yield {"choices": [{"delta": {"content": "word "}, "finish_reason": None}]}
    raise ConnectionResetError("upstream went away")


class _Dropping(FakeBackends):
    """The speculative deployment's streams break after their first words."""

    async def __call__(self, *, model: str, messages: list[Any], **params: Any) -> Any:
        if model == SPEC:
            self.calls.append(model)
            return _dropping_stream()
        return await super().__call__(model=model, messages=messages, **params)


def test_streams_that_break_midway_open_the_circuit_too(tmp_path: Path) -> None:
    client, backends = make_client(tmp_path, _Dropping({}))
    body = {"model": "tierroute/small", "messages": HELLO, "stream": True}
    with client:
        streams = [client.post("/v1/chat/completions", json=body).text for _ in range(6)]
    broken = [s for s in streams if "stream_interrupted" in s]
    assert len(broken) == 3
    assert all("[DONE]" in s for s in streams[3:])
    assert backends.calls.count(SPEC) == 3


def _shared_pair(state: Any, clock: Clock) -> tuple[SharedBreaker, SharedBreaker]:
    def local() -> CircuitBreaker:
        return CircuitBreaker(threshold=2, window_s=60, cooldown_s=30, clock=clock)

    return SharedBreaker(local(), state), SharedBreaker(local(), state)


async def _open_on(breaker: SharedBreaker, key: str) -> None:
    for _ in range(2):
        await breaker.record(key, False)


def test_a_circuit_opened_by_one_replica_is_skipped_by_the_other() -> None:
    clock = Clock()
    one, two = _shared_pair(MemoryState(clock=clock), clock)

    async def scenario() -> tuple[bool, bool, bool, bool]:
        before = await two.allow(SPEC)
        await _open_on(one, SPEC)
        return before, await two.allow(SPEC), await two.allow(PLAIN), await one.allow(SPEC)

    assert asyncio.run(scenario()) == (True, False, True, False)
    clock.now += 31  # the shared key expired with the cooldown: both try again
    assert asyncio.run(two.allow(SPEC)) and asyncio.run(one.allow(SPEC))


@pytest.mark.integration
def test_a_cooldown_seen_by_one_replica_applies_to_the_other_through_redis(
    redis_url: str,
) -> None:
    clock = Clock()

    async def scenario() -> tuple[bool, bool, dict[str, Any]]:  # before, after, own view
        one_state, two_state = RedisState(redis_url), RedisState(redis_url)
        one, two = _shared_pair(one_state, clock)
        two = SharedBreaker(two.local, two_state)  # its own connection, as a replica has
        key = f"redis-test:{id(one)}"
        try:
            before = await two.allow(key)
            await _open_on(one, key)
            return before, await two.allow(key), (await one.snapshot())[key]
        finally:
            await one_state.aclose()
            await two_state.aclose()

    before, after, circuit = asyncio.run(scenario())
    assert before and not after
    assert circuit["state"] == "open" and circuit["shared_open"] is True
