"""The HTTP SDK against a mock transport: requests sent, Decisions rebuilt, errors mapped."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from labeling.ingest import read_decision_log
from policies import BackendError, PromptError, TierrouteError
from router import Decision
from serving._client import (
    AsyncClient,
    Client,
    InvalidRequestError,
    ServiceAuthError,
    ServiceConnectionError,
    ServiceError,
    ServiceUnavailableError,
)
from serving._settings import Settings
from serving.http._app import create_app
from serving.http._auth import hash_key
from tests.fakes import FakeBackends, UpstreamError

DECISION = Decision(
    tier="frontier",
    model="openai/gpt-4-1106-preview",
    speculative=False,
    cascade=False,
    complexity=0.81,
    scores={"small": 0.1, "medium": 0.09, "frontier": 0.81},
    reasons=("rule:sql", "classifier"),
    rules=("sql-no-speculation",),
    est_cost_usd=0.0031,
    est_latency_ms=900.0,
    policy_version="default@1#abcd1234",
    classifier_version="tfidf@1",
    input_tokens=12,
    detectors=("sql",),
)
MESSAGES = [{"role": "user", "content": "Why is SELECT * FROM t slow?"}]

Handler = Callable[[httpx.Request], httpx.Response]


class _Recorder:
    """A mock service: records each request, answers with ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def _client(handler: Handler, **kwargs: Any) -> tuple[Client, _Recorder]:
    recorder = _Recorder(handler)
    client = Client(
        "http://svc:8080/v1/", api_key="tr-key", transport=httpx.MockTransport(recorder), **kwargs
    )
    return client, recorder


def _decision_json(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    if "prompts" in body:
        return httpx.Response(200, json={"decisions": [DECISION.to_dict()] * len(body["prompts"])})
    return httpx.Response(200, json={**DECISION.to_dict(), "future_field": 1})


def test_route_rebuilds_the_same_decision() -> None:
    client, recorder = _client(_decision_json)
    decision = client.route("Why is SELECT * FROM t slow?", metadata={"team": "data"})
    assert decision == DECISION and isinstance(decision.reasons, tuple)
    request = recorder.requests[0]
    assert request.method == "POST" and request.url == "http://svc:8080/v1/route"
    assert request.headers["authorization"] == "Bearer tr-key"
    assert recorder.body() == {
        "prompt": "Why is SELECT * FROM t slow?",
        "metadata": {"team": "data"},
    }
    assert client.route(MESSAGES) == DECISION
    assert recorder.body() == {"messages": MESSAGES}


def test_route_batch() -> None:
    client, recorder = _client(_decision_json)
    decisions = client.route_batch(["a", MESSAGES, "c"])
    assert decisions == [DECISION] * 3
    assert recorder.body() == {"prompts": ["a", MESSAGES, "c"]}
    with pytest.raises(TypeError, match="list of prompts"):
        client.route_batch("one prompt")


def test_chat_sends_openai_body() -> None:
    completion = {"id": "c1", "object": "chat.completion", "choices": [], "usage": {}}
    client, recorder = _client(lambda request: httpx.Response(200, json=completion))
    assert client.chat(MESSAGES, temperature=0.2, max_tokens=5) == completion
    assert recorder.requests[0].url.path == "/v1/chat/completions"
    assert recorder.body() == {
        "model": "tierroute/auto",
        "messages": MESSAGES,
        "temperature": 0.2,
        "max_tokens": 5,
    }


def _sse(*chunks: str) -> Handler:
    payload = "".join(f"data: {c}\n\n" for c in chunks).encode()
    return lambda request: httpx.Response(
        200, content=payload, headers={"content-type": "text/event-stream"}
    )


def _chunk(text: str) -> str:
    return json.dumps(
        {"object": "chat.completion.chunk", "choices": [{"delta": {"content": text}}]}
    )


def test_chat_stream_yields_chunks_until_done() -> None:
    client, recorder = _client(_sse(_chunk("Hel"), _chunk("lo"), "[DONE]", _chunk("ignored")))
    chunks = list(client.chat_stream(MESSAGES, model="tierroute/small"))
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["Hel", "lo"]
    assert recorder.body()["stream"] is True and recorder.body()["model"] == "tierroute/small"


def test_chat_stream_cut_off_or_failing_raises() -> None:
    client, _ = _client(_sse(_chunk("Hel")))
    with pytest.raises(ServiceConnectionError, match="DONE"):
        list(client.chat_stream(MESSAGES))
    error = json.dumps({"error": {"message": "upstream dropped", "type": "api_error"}})
    client, _ = _client(_sse(_chunk("Hel"), error))
    stream = client.chat_stream(MESSAGES)
    assert next(stream)["choices"][0]["delta"]["content"] == "Hel"
    with pytest.raises(ServiceUnavailableError, match="upstream dropped"):
        next(stream)


def _error(status: int, message: str, code: str | None, kind: str = "x") -> Handler:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return lambda request: httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("status", "cls", "also"),
    [
        (401, ServiceAuthError, ServiceError),
        (403, ServiceAuthError, ServiceError),
        (400, InvalidRequestError, PromptError),
        (413, InvalidRequestError, PromptError),
        (404, ServiceError, TierrouteError),
        (502, ServiceUnavailableError, BackendError),
        (503, ServiceUnavailableError, BackendError),
    ],
)
def test_errors_map_to_the_hierarchy_with_the_server_message(
    status: int, cls: type[Exception], also: type[Exception]
) -> None:
    client, _ = _client(_error(status, "the server says why", "some_code"))
    for call in (lambda: client.route("x"), lambda: client.chat(MESSAGES)):
        with pytest.raises(cls) as info:
            call()
        assert isinstance(info.value, also)
        assert isinstance(info.value, ServiceError)
        assert info.value.status_code == status and info.value.code == "some_code"
        assert info.value.message == "the server says why"
    with pytest.raises(cls, match="the server says why"):
        list(client.chat_stream(MESSAGES))


def test_non_json_errors_and_unreachable_service() -> None:
    client, _ = _client(lambda request: httpx.Response(500, text="Internal Server Error"))
    with pytest.raises(ServiceUnavailableError, match="Internal Server Error"):
        client.route("x")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client, _ = _client(refuse)
    with pytest.raises(ServiceConnectionError, match="connection refused"):
        client.route("x")
    with pytest.raises(ServiceConnectionError, match="connection refused"):
        list(client.chat_stream(MESSAGES))
    client, _ = _client(lambda request: httpx.Response(200, text="<html>"))
    with pytest.raises(ServiceConnectionError, match="invalid JSON"):
        client.route("x")


def test_async_client_matches_the_sync_one() -> None:
    recorder = _Recorder(_decision_json)

    async def scenario() -> None:
        transport = httpx.MockTransport(recorder)
        async with AsyncClient("http://svc:8080", transport=transport) as client:
            assert await client.route("hi") == DECISION
            assert await client.route_batch(["a", "b"]) == [DECISION, DECISION]
        recorder.handler = _sse(_chunk("a"), _chunk("b"), "[DONE]")
        async with AsyncClient("http://svc:8080", transport=transport) as client:
            chunks = [c async for c in client.chat_stream(MESSAGES)]
            assert len(chunks) == 2
        recorder.handler = _error(401, "bad key", "invalid_api_key")
        async with AsyncClient("http://svc:8080", transport=transport) as client:
            with pytest.raises(ServiceAuthError, match="bad key"):
                await client.chat(MESSAGES)

    asyncio.run(scenario())
    assert "authorization" not in recorder.requests[0].headers
    assert recorder.requests[0].url == "http://svc:8080/v1/route"


# -- against the real service over loopback HTTP ---------------------------------------


class _Service:
    """The real app (injected fake backends) served by uvicorn in a thread."""

    def __init__(self, tmp_path: Path, backends: FakeBackends, **settings: Any) -> None:
        options: dict[str, Any] = {"decision_log": tmp_path / "d.jsonl", "policy_poll_s": None}
        app = create_app(Settings(**(options | settings)), completion=backends)
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> _Service:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return self
            time.sleep(0.02)
        raise RuntimeError("the service did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


SQL = "SELECT name FROM users WHERE id = 3; why is this slow?"
HELLO = [{"role": "user", "content": "Say hello in French"}]


@pytest.mark.integration
def test_sdk_against_the_real_service(tmp_path: Path) -> None:
    broken = {f"tierroute:{t}:{i}": UpstreamError(500) for t in ("small", "medium") for i in (0, 1)}
    backends = FakeBackends({})
    with _Service(tmp_path, backends, api_keys=f"{hash_key('tr-secret')}=acme") as service:
        with Client(service.url, api_key="tr-secret", timeout=30) as client:
            decision = client.route(SQL)
            assert isinstance(decision, Decision) and decision.speculative is False
            assert "sql-no-speculation" in decision.rules
            as_messages = client.route([{"role": "user", "content": SQL}])
            assert (as_messages.tier, as_messages.rules) == (decision.tier, decision.rules)
            assert client.route_batch([SQL, HELLO])[0] == decision
            reply = client.chat(HELLO)
            assert reply["choices"][0]["message"]["content"].startswith("fine answer from")
            chunks = list(client.chat_stream(HELLO))
            text = "".join(
                c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
            )
            assert text.startswith("fine answer from")
            with pytest.raises(InvalidRequestError, match="prompt") as bad:
                client.route("   ")
            assert isinstance(bad.value, PromptError)
            with pytest.raises(ServiceError) as unknown:
                client.chat(HELLO, model="tierroute/huge")
            assert unknown.value.status_code == 404 and unknown.value.code == "model_not_found"
            backends.behaviour = dict(broken, **{"tierroute:frontier:0": UpstreamError(500)})
            with pytest.raises(ServiceUnavailableError):
                client.chat(HELLO)
            backends.behaviour = {}
        with Client(service.url) as anonymous, pytest.raises(ServiceAuthError) as denied:
            anonymous.route("hi")
        assert denied.value.status_code == 401 and denied.value.code == "invalid_api_key"

        async def async_calls() -> None:
            async with AsyncClient(service.url + "/v1", api_key="tr-secret") as client:
                assert await client.route(SQL) == decision
                chunks = [c async for c in client.chat_stream(HELLO)]
                assert chunks and chunks[0]["object"] == "chat.completion.chunk"

        asyncio.run(async_calls())
    tenants = {r.tenant for r in read_decision_log(tmp_path / "d.jsonl").decisions}
    assert tenants == {"acme"}
