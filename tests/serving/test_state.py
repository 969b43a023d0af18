"""Shared state: one contract for memory and Redis; two stores on one Redis agree."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from policies import ConversationConfig, default_policy
from router import Router
from serving._settings import Settings
from serving._state import MemoryState, RedisState, SharedState, StateError
from serving.http._app import create_app
from serving.http._auth import Principal
from serving.http._conversations import ConversationStore, identify_conversation
from serving.http._limits import KeyLimits, Limiter, RateLimitError
from tests.fakes import FakeBackends

Factory = Callable[[], SharedState]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def make_state(request: pytest.FixtureRequest) -> Factory:
    if request.param == "memory":
        return MemoryState
    url = request.getfixturevalue("redis_url")
    return lambda: RedisState(url)


def run(factory: Factory, scenario: Callable[[SharedState], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        state = factory()
        try:
            return await scenario(state)
        finally:
            await state.aclose()

    return asyncio.run(main())


def test_get_set_and_atomic_increments(make_state: Factory, request: pytest.FixtureRequest) -> None:
    prefix = request.node.name  # the Redis database outlives one test

    async def scenario(state: SharedState) -> None:
        assert await state.get(f"{prefix}:missing") is None
        assert await state.get_float(f"{prefix}:missing") == 0.0
        await state.set(f"{prefix}:tier", "medium", 60)
        assert await state.get(f"{prefix}:tier") == "medium"
        totals = await asyncio.gather(*(state.incr(f"{prefix}:n", 0.5, 60) for _ in range(50)))
        assert sorted(totals) == [0.5 * i for i in range(1, 51)]  # no lost update
        assert await state.get_float(f"{prefix}:n") == 25.0

    run(make_state, scenario)


def test_memory_state_expires_keys() -> None:
    clock = Clock()
    state = MemoryState(clock=clock)

    async def scenario() -> None:
        await state.set("a", "x", 10)
        await state.incr("c", 1, 10)
        clock.now += 5
        assert await state.incr("c", 1, 10) == 2  # the window keeps its first expiry
        clock.now += 6
        assert await state.get("a") is None
        assert await state.incr("c", 1, 10) == 1

    asyncio.run(scenario())


def test_two_conversation_stores_on_one_redis_share_the_tier(redis_url: str) -> None:
    router = Router(
        default_policy().model_copy(update={"conversations": ConversationConfig(sticky=True)})
    )
    messages = [
        {"role": "user", "content": "Prove that there are infinitely many primes, rigorously."},
        {"role": "assistant", "content": "..."},
        {"role": "user", "content": "thanks"},
    ]
    conversation = identify_conversation(messages, tenant="acme")

    async def scenario() -> tuple[str, str]:
        one = ConversationStore(remote=RedisState(redis_url))
        two = ConversationStore(remote=RedisState(redis_url))
        one.remember(router.policy, conversation, "frontier")
        await one.flush()
        routed = router.route(messages)
        await two.aload(conversation)
        stuck = two.stick(router, routed, conversation)
        assert one.remote is not None and two.remote is not None
        await one.remote.aclose()
        await two.remote.aclose()
        return routed.tier, stuck.tier

    routed, stuck = asyncio.run(scenario())
    assert stuck == "frontier"
    assert routed != "frontier"  # without the shared tier the follow-up would drop


def test_two_limiters_on_one_redis_enforce_one_budget(redis_url: str) -> None:
    who = Principal("acme", "shared-budget-key", limits=KeyLimits(budget_usd=1.0, rpm=3))

    async def scenario() -> int:
        one, two = Limiter(RedisState(redis_url)), Limiter(RedisState(redis_url))
        await one.admit(who)
        await one.record(who, 0.7, 10)
        await two.admit(who)  # 0.7 < 1.0
        await two.record(who, 0.7, 10)
        refused = 0
        for limiter in (one, two):
            try:
                await limiter.admit(who)
            except RateLimitError:
                refused += 1
        await one.state.aclose()
        await two.state.aclose()
        return refused

    assert asyncio.run(scenario()) == 2


def test_an_unreachable_redis_is_a_clear_error_and_not_ready(tmp_path: Path) -> None:
    url = "redis://:hunter2@127.0.0.1:1/0"  # nothing listens on port 1

    async def scenario() -> None:
        state = RedisState(url, timeout_s=0.5)
        with pytest.raises(StateError, match="127.0.0.1:1") as error:
            await state.get("x")
        assert "hunter2" not in str(error.value)
        await state.aclose()

    asyncio.run(scenario())
    settings = Settings(decision_log="", policy_poll_s=None, redis_url=url)
    with TestClient(create_app(settings, completion=FakeBackends({}))) as client:
        ready = client.get("/readyz")
        chat = client.post(
            "/v1/chat/completions",
            json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
        )
    assert ready.status_code == 503 and "hunter2" not in ready.text
    assert ready.json()["shared_state"] == "redis" and ready.json()["shared_state_error"]
    assert chat.status_code == 200  # a key without limits is still served (not sticky)
