"""The simulated OpenAI-compatible backends, over real loopback HTTP with the openai client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from serving import BackendConfig, BackendProcess, SimModel, default_backend_config

pytestmark = pytest.mark.integration


def _config() -> BackendConfig:
    base = default_backend_config(latency_scale=0, timeout_s=5, retry_after_s=2)
    flaky = SimModel(name="flaky", fail_times=2, fault="500")
    always_429 = SimModel(name="busy", fail_rate=1.0, fault="429")
    return base.model_copy(update={"models": (*base.models, flaky, always_429)})


@pytest.fixture(scope="module")
def backend() -> Iterator[BackendProcess]:
    with BackendProcess(_config()) as process:
        yield process


@pytest.fixture
def client(backend: BackendProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=backend.base_url, api_key="x", max_retries=0, timeout=10)


def _ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_non_streaming_completion_has_usage(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="mistral-7b-chat", messages=_ask("Hi there"))
    assert reply.object == "chat.completion"
    assert reply.choices[0].finish_reason == "stop"
    content = reply.choices[0].message.content
    assert content
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == 2
    assert reply.usage.completion_tokens == len(content.split())
    again = client.chat.completions.create(model="mistral-7b-chat", messages=_ask("Hi there"))
    assert again.choices[0].message.content == content  # deterministic


def test_litellm_style_model_prefix_and_max_tokens_truncates(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="openai/gpt-4-1106-preview", messages=_ask("Explain TCP"), max_tokens=3
    )
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 3


def test_stream_reassembles_and_ends_with_done(backend: BackendProcess) -> None:
    body = {
        "model": "mixtral-8x7b-chat",
        "messages": _ask("Stream me something"),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with httpx.stream("POST", f"{backend.base_url}/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[len("data: ") :]) for e in events[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == len(text.split())
    plain = httpx.post(f"{backend.base_url}/chat/completions", json={**body, "stream": False})
    assert plain.json()["choices"][0]["message"]["content"] == text


def test_openai_client_stream(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="mistral-7b-chat-spec", messages=_ask("Tell me a fact"), stream=True
    )
    chunks = list(stream)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert "".join(c.choices[0].delta.content or "" for c in chunks)


def test_unknown_model_is_openai_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="no-such-model", messages=_ask("hi"))
    error = info.value.body
    assert isinstance(error, dict)
    assert error["code"] == "model_not_found"
    assert set(error) == {"message", "type", "param", "code"}


def test_malformed_body_is_openai_400(backend: BackendProcess) -> None:
    url = f"{backend.base_url}/chat/completions"
    bad_json = httpx.post(url, content=b"{oops", headers={"content-type": "application/json"})
    no_messages = httpx.post(url, json={"model": "judge", "messages": []})
    for response in (bad_json, no_messages):
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"
    assert no_messages.json()["error"]["param"] == "messages"


def test_fault_429_is_rate_limit_with_retry_after(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(
            model="judge", messages=_ask("hi"), extra_headers={"x-sim-fault": "429"}
        )
    assert info.value.response.headers["retry-after"] == "2"
    with pytest.raises(openai.RateLimitError):  # from the model config (fail_rate=1)
        client.chat.completions.create(model="busy", messages=_ask("hi"))


def test_fault_500_from_metadata(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="mistral-7b-chat",
            messages=_ask("hi"),
            extra_body={"metadata": {"sim_fault": "500"}},
        )


def test_fault_timeout(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.5).chat.completions.create(
            model="mistral-7b-chat", messages=_ask("hi"), extra_headers={"x-sim-fault": "timeout"}
        )


def test_fault_drop_stream_cuts_the_connection(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="mixtral-8x7b-chat",
        messages=_ask("A long answer please"),
        stream=True,
        extra_headers={"x-sim-fault": "drop_stream"},
    )
    finishes: list[str | None] = []
    error: Exception | None = None
    try:
        for chunk in stream:
            finishes.append(chunk.choices[0].finish_reason)
    except Exception as exc:  # whichever class the client library wraps the cut in
        error = exc
    assert finishes  # some content came through ...
    assert set(finishes) == {None}  # ... but never a finish ...
    assert error is not None, "the stream ended without an error"  # ... and the user sees why


def test_fail_first_n_then_succeed(client: openai.OpenAI, backend: BackendProcess) -> None:
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="flaky", messages=_ask("retry me"))
    reply = client.chat.completions.create(model="flaky", messages=_ask("retry me"))
    assert reply.choices[0].message.content
    headers = {"x-sim-fail-times": "1", "x-sim-fault": "429"}
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="judge", messages=_ask("x"), extra_headers=headers)
    stats = backend.stats()
    assert stats["requests"]["flaky"] == 3
    assert stats["faults"]["flaky"] == 2


def test_models_endpoint_lists_policy_models(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert {
        "mistral-7b-chat",
        "mistral-7b-chat-spec",
        "mixtral-8x7b-chat",
        "mixtral-8x7b-chat-spec",
        "gpt-4-1106-preview",
        "judge",
    } <= ids
