"""Per-key budgets and rate limits: the Limiter alone, then over HTTP (before the backend)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving._settings import Settings
from serving._state import MemoryState
from serving.http._app import create_app
from serving.http._auth import Principal
from serving.http._keys import create_key
from serving.http._limits import KeyLimits, Limiter, RateLimitError, period_window
from tests.fakes import FakeBackends

HELLO = [{"role": "user", "content": "Say hello in French"}]
NOON = datetime(2026, 3, 31, 12, 0, 30, tzinfo=UTC).timestamp()  # 30 s into a minute


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def principal(**limits: Any) -> Principal:
    return Principal("acme", "key1", limits=KeyLimits(**limits))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_periods_end_at_the_utc_day_and_month() -> None:
    assert period_window("day", NOON) == ("2026-03-31", pytest.approx(11 * 3600 + 3570))
    tag, left = period_window("month", NOON)
    assert tag == "2026-03" and left == pytest.approx(11 * 3600 + 3570)
    assert period_window("month", datetime(2026, 12, 31, tzinfo=UTC).timestamp())[1] == 86400


def test_rpm_refuses_the_request_over_the_limit_until_the_next_minute() -> None:
    clock = Clock(NOON)
    limiter = Limiter(MemoryState(), clock=clock)
    who = principal(rpm=2)

    async def scenario() -> RateLimitError:
        await limiter.admit(who)
        await limiter.admit(who)
        with pytest.raises(RateLimitError) as refused:
            await limiter.admit(who)
        with pytest.raises(RateLimitError):  # a refused request does not use up the window
            await limiter.admit(who)
        clock.now += 30  # next minute
        await limiter.admit(who)
        return refused.value

    error = run(scenario())
    assert error.status_code == 429 and error.headers == {"Retry-After": "30"}
    assert error.error_type == "requests" and error.code == "rate_limit_exceeded"
    assert "Limit 2, Used 2" in str(error)


def test_tpm_counts_reported_tokens() -> None:
    limiter = Limiter(MemoryState(), clock=Clock(NOON))
    who = principal(tpm=100)

    async def scenario() -> None:
        await limiter.admit(who, 10)
        await limiter.record(who, 0.0, 95)
        with pytest.raises(RateLimitError, match="tokens per min"):
            await limiter.admit(who, 10)

    run(scenario())


def test_budget_counts_real_cost_and_refuses_once_spent() -> None:
    limiter = Limiter(MemoryState(), clock=Clock(NOON))
    who = principal(budget_usd=0.01, budget_period="day")

    async def scenario() -> RateLimitError:
        await limiter.admit(who)
        await limiter.record(who, 0.006, 100)
        await limiter.admit(who)  # 0.006 < 0.01: still admitted
        await limiter.record(who, 0.006, 100)
        assert await limiter.spent(who) == pytest.approx(0.012)
        with pytest.raises(RateLimitError) as refused:
            await limiter.admit(who)
        return refused.value

    error = run(scenario())
    assert error.error_type == "insufficient_quota" and error.code == "insufficient_quota"
    assert int(error.headers["Retry-After"]) == 11 * 3600 + 3570
    assert "daily budget" in str(error)


def test_keys_without_limits_are_never_counted() -> None:
    state = MemoryState()
    limiter = Limiter(state)
    run(limiter.admit(Principal("acme", "k")))
    run(limiter.record(Principal("acme", "k"), 1.0, 10))
    assert state._items == {}


def _client(tmp_path: Path, backends: FakeBackends) -> TestClient:
    settings = Settings(
        decision_log=tmp_path / "decisions.jsonl",
        policy_poll_s=None,
        api_keys_file=tmp_path / "keys.yaml",
    )
    return TestClient(create_app(settings, completion=backends))


def _freeze(client: TestClient) -> None:
    """One fixed minute: a window boundary never falls between two requests."""
    client.app.state.runtime.limiter._clock = Clock(NOON)  # type: ignore[attr-defined]


def test_a_spent_budget_is_a_429_before_any_backend_call(tmp_path: Path) -> None:
    key, _ = create_key(tmp_path / "keys.yaml", "acme", budget_usd=0.000001, per="day")
    backends = FakeBackends({})
    with _client(tmp_path, backends) as client:
        _freeze(client)
        auth = {"authorization": f"Bearer {key}"}
        first = client.post(
            "/v1/chat/completions", json={"model": "auto", "messages": HELLO}, headers=auth
        )
        assert first.status_code == 200
        assert float(first.headers["x-tierroute-cost-usd"]) > 0.000001  # spent it all
        calls = len(backends.calls)
        second = client.post(
            "/v1/chat/completions", json={"model": "auto", "messages": HELLO}, headers=auth
        )
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) > 0
    error = second.json()["error"]
    assert error["type"] == "insufficient_quota" and error["code"] == "insufficient_quota"
    assert set(error) == {"message", "type", "param", "code"}
    assert len(backends.calls) == calls  # refused before the backend


def test_rpm_over_http_and_other_keys_unaffected(tmp_path: Path) -> None:
    limited, _ = create_key(tmp_path / "keys.yaml", "acme", rpm=1)
    free, _ = create_key(tmp_path / "keys.yaml", "beta")
    body = {"model": "auto", "messages": HELLO}
    with _client(tmp_path, FakeBackends({})) as client:
        _freeze(client)
        codes = [
            client.post(
                "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {k}"}
            ).status_code
            for k in (limited, limited, free, free)
        ]
    assert codes == [200, 429, 200, 200]
