"""Bounded work: batch cap, scoring off the event loop, load shedding, cancellation."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from serving._settings import Settings
from serving.http import load_scorer
from serving.http._app import create_app
from tests.fakes import HELLO, BlockingScorer, FakeBackends, make_client, records, reply

HANG_GUARD_S = 20  # only ends a test that would hang; no test asserts a duration


def test_a_route_batch_over_the_cap_is_a_413_that_says_the_limit(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path)
    small, _ = make_client(tmp_path, max_route_batch=3)
    with client, small:
        over_default = client.post("/v1/route", json={"prompts": ["hi"] * 257})
        at_default = client.post("/v1/route", json={"prompts": ["hi"] * 256})
        over = small.post("/v1/route", json={"prompts": ["a", "b", "c", "d"]})
    assert over_default.status_code == 413
    assert at_default.status_code == 200
    assert over.status_code == 413
    error = over.json()["error"]
    assert error["param"] == "prompts"
    assert "4 prompts" in error["message"] and "limit is 3" in error["message"]


def test_healthz_answers_while_a_batch_is_being_scored(tmp_path: Path) -> None:
    scorer = BlockingScorer(load_scorer("tfidf"), HANG_GUARD_S)
    settings = Settings(decision_log=None, policy_poll_s=None)
    client = _client(create_app(settings, completion=FakeBackends({}), scorer=scorer))
    with client:
        batch = _in_thread(lambda: client.post("/v1/route", json={"prompts": ["a", "b"] * 128}))
        assert scorer.started.wait(HANG_GUARD_S)
        health = _in_thread(lambda: client.get("/healthz"))
        health.join(HANG_GUARD_S)
        answered_meanwhile = not health.is_alive()
        scorer.release.set()
        batch.join(HANG_GUARD_S)
    assert answered_meanwhile  # the event loop was free while the batch was scored
    assert health.result.status_code == 200
    assert batch.result.status_code == 200


class _Thread(threading.Thread):
    result: Any = None


def _in_thread(fn: Any) -> _Thread:
    thread = _Thread(daemon=True)
    thread.run = lambda: setattr(thread, "result", fn())  # type: ignore[method-assign]
    thread.start()
    return thread


def _client(app: FastAPI) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(app)


class _Gate(FakeBackends):
    """Every call waits until ``release`` is set (polled: it runs on the app's loop)."""

    def __init__(self) -> None:
        super().__init__({})
        self.release = threading.Event()

    async def __call__(self, *, model: str, messages: list[Any], **params: Any) -> Any:
        self.calls.append(model)
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        return reply("fine")


def test_requests_over_the_in_flight_limit_are_shed_at_once(tmp_path: Path) -> None:
    gate = _Gate()
    client, _ = make_client(tmp_path, gate, max_in_flight=1, shed_retry_after_s=2)
    body = {"model": "tierroute/small", "messages": HELLO}
    with client:
        first = _in_thread(lambda: client.post("/v1/chat/completions", json=body))
        while not gate.calls and first.is_alive():
            first.join(0.01)
        shed = client.post("/v1/chat/completions", json=body)
        routed = client.post("/v1/route", json={"prompt": "hi"})
        health = client.get("/healthz")
        gate.release.set()
        first.join(HANG_GUARD_S)
        after = client.post("/v1/chat/completions", json=body)
        metrics = client.get("/metrics").text
    assert shed.status_code == 503 and routed.status_code == 503
    assert shed.headers["retry-after"] == "2"
    assert shed.json()["error"]["code"] == "overloaded"
    assert health.status_code == 200  # never shed
    assert first.result.status_code == 200 and after.status_code == 200
    assert len(gate.calls) == 2  # the shed request called nothing
    assert 'tierroute_requests_shed_total{endpoint="/v1/chat/completions"} 1.0' in metrics


class _Hanging(FakeBackends):
    """Calls never answer; notes when they start and when they are cancelled."""

    def __init__(self) -> None:
        super().__init__({})
        self.started = asyncio.Event()
        self.cancelled = 0

    async def __call__(self, *, model: str, messages: list[Any], **params: Any) -> Any:
        self.calls.append(model)
        if params.get("stream"):
            return self._stream()
        self.started.set()
        try:
            await asyncio.sleep(HANG_GUARD_S)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return reply("too late")

    async def _stream(self) -> AsyncIterator[dict[str, Any]]:
        try:
            yield {"choices": [{"delta": {"role": "assistant", "content": ""}}]}
            for _ in range(1000):
                yield {"choices": [{"delta": {"content": "word " * 20}, "finish_reason": None}]}
                self.started.set()
                await asyncio.sleep(0.02)
        finally:
            self.cancelled += 1


async def _disconnecting_call(app: FastAPI, body: dict[str, Any], backend: _Hanging) -> int:
    """POST ``body`` over raw ASGI; the client disconnects once the backend started."""
    data = json.dumps(body).encode()
    pending = [{"type": "http.request", "body": data, "more_body": False}]
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await backend.started.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80), "headers": [(b"content-type", b"application/json")],
    }  # fmt: skip
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app(scope, receive, send), HANG_GUARD_S)
    return status[0]


def test_a_client_that_disconnects_cancels_its_backend_call(tmp_path: Path) -> None:
    backend = _Hanging()
    settings = Settings(decision_log=tmp_path / "decisions.jsonl", policy_poll_s=None)
    app = create_app(settings, completion=backend)
    body = {"model": "tierroute/small", "messages": HELLO}
    status = asyncio.run(_disconnecting_call(app, body, backend))
    assert backend.cancelled == 1 and len(backend.calls) == 1
    assert status == 499
    (record,) = records(tmp_path)
    assert record.status == "cancelled"
    assert record.metadata["error"] == "client_disconnected"
    (cut,) = record.attempts  # the call that was cut short
    assert (cut.model, cut.error) == ("openai/mistral-7b-chat-spec", "cancelled")


def test_a_client_that_leaves_a_stream_closes_the_upstream_stream(tmp_path: Path) -> None:
    backend = _Hanging()
    settings = Settings(decision_log=tmp_path / "decisions.jsonl", policy_poll_s=None)
    app = create_app(settings, completion=backend)
    body = {"model": "tierroute/small", "messages": HELLO, "stream": True}
    status = asyncio.run(_disconnecting_call(app, body, backend))
    assert status == 200  # the stream had started
    assert backend.cancelled == 1  # the upstream generator was closed, not left running
    (record,) = records(tmp_path)
    assert record.status == "cancelled"
    assert record.attempts[-1].error == "client_disconnected"
