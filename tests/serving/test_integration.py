"""End to end over real loopback HTTP: `tierroute serve` + simulated backends, as processes.

The policy is the shipped one pointed at the simulated backends; the small tier's
speculative deployment lives on a second backend process that a test kills, and
the medium tier's speculative deployment answers 500 to everything.
"""

from __future__ import annotations

import json
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from policies import default_policy_path
from router import Router
from serving import (
    BackendConfig,
    BackendProcess,
    SimModel,
    default_backend_config,
    read_decision_log,
)
from serving.http._auth import hash_key
from serving.sim._answers import prompt_sha256
from tests.fakes import wait_until
from tests.serving._service import LoggedService

pytestmark = pytest.mark.integration

KEY = "tr-integration-key"
SQL = "SELECT name FROM users WHERE id = 3; why is this slow?"
REFUSED = "Translate good morning to Spanish"
CANDIDATES = (
    "Say hello in French",
    REFUSED,
    "Which gas do plants absorb? A) O2 B) CO2",
    "What is 2 + 2?",
    "What colour is the sky on a clear day?",
)


REFUSAL = "I'm sorry, but I can't help with that."
REPLAY = {
    prompt_sha256(REFUSED): {
        "mistral-7b-chat": REFUSAL,
        "mistral-7b-chat-spec": REFUSAL,
        "mixtral-8x7b-chat": "Buenos dias.",
    }
}


def _backend_config() -> BackendConfig:
    base = default_backend_config(latency_scale=0.05, timeout_s=5)
    models = tuple(
        m.model_copy(update={"fail_rate": 1.0, "fault": "500"})
        if m.name == "mixtral-8x7b-chat-spec"
        else m
        for m in base.models
    )
    return base.model_copy(update={"models": models, "replay": REPLAY})


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tierroute-it-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def backends() -> Iterator[tuple[BackendProcess, BackendProcess]]:
    speculative = SimModel(name="mistral-7b-chat-spec", ttft_ms=1, tpot_ms=0)
    spare = BackendConfig(models=(speculative,), replay=REPLAY)
    with BackendProcess(_backend_config()) as main, BackendProcess(spare) as doomed:
        yield main, doomed


@pytest.fixture(scope="module")
def policy_file(workdir: Path, backends: tuple[BackendProcess, BackendProcess]) -> Path:
    main, doomed = backends
    text = default_policy_path().read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8790/v1", doomed.base_url, 1)  # small, speculative
    text = text.replace("http://127.0.0.1:8790/v1", main.base_url)
    path = workdir / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def service(workdir: Path, policy_file: Path) -> Iterator[LoggedService]:
    env = {"TIERROUTE_API_KEYS": f"{hash_key(KEY)}=acme", "TIERROUTE_POLICY_POLL_S": ""}
    process = LoggedService(policy_file, workdir / "decisions.jsonl", env).start()
    yield process
    process.stop()


@pytest.fixture
def client(service: LoggedService) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{service.url}/v1", api_key=KEY, max_retries=0, timeout=30)


def _ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _small_cascading_prompt(*, exclude: tuple[str, ...] = ()) -> str:
    router = Router()
    for prompt in (c for c in CANDIDATES if c not in exclude):
        decision = router.route(prompt)
        if decision.tier == "small" and decision.cascade:
            return prompt
    pytest.skip("no candidate prompt routes to the small tier with this classifier")


def test_openai_client_non_streaming(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="tierroute/auto", messages=_ask("Say hello in French")
    )
    reply = raw.parse()
    assert reply.choices[0].message.content
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    assert raw.headers["x-tierroute-tier"] in ("small", "medium", "frontier")
    assert raw.headers["x-tierroute-request-id"]


def test_openai_client_streaming(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="auto",
        messages=_ask("Write a haiku about the sea"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(text.split()) > 3
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}


def test_openai_client_gets_tool_calls_back(client: openai.OpenAI, service: LoggedService) -> None:
    ask = _ask("What is the weather like in Paris")
    raw = client.chat.completions.with_raw_response.create(
        model="tierroute/auto", messages=ask, tools=[WEATHER_TOOL], tool_choice="auto"
    )
    reply = raw.parse()
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "celsius"}
    # The tool's result goes back: the model answers in text, the loop ends.
    assistant = {"role": "assistant", "tool_calls": [call.model_dump(exclude_none=True)]}
    result = {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'}
    final = client.chat.completions.create(
        model="tierroute/auto", messages=[*ask, assistant, result], tools=[WEATHER_TOOL]
    )
    assert final.choices[0].message.content and not final.choices[0].message.tool_calls
    record = _record(service, raw.headers["x-tierroute-request-id"])
    assert record.status == "ok" and [a.outcome for a in record.attempts][-1] == "ok"


def test_openai_client_streams_tool_calls(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="auto",
        messages=_ask("Weather in Oslo?"),
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        stream=True,
    )
    chunks = [c for c in stream if c.choices]
    calls = [t for c in chunks for t in c.choices[0].delta.tool_calls or []]
    assert [t.function.name for t in calls if t.function and t.function.name] == ["get_weather"]
    arguments = "".join(t.function.arguments or "" for t in calls if t.function)
    assert json.loads(arguments)["city"] == "Oslo"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_an_unknown_model_is_openai_404_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-9-turbo", messages=_ask("hi"))
    error = caught.value
    assert error.status_code == 404 and error.code == "model_not_found"
    assert error.type == "invalid_request_error" and error.param is None
    assert "gpt-9-turbo" in error.message


def test_sql_gets_a_non_speculative_deployment_and_no_cascade(
    client: openai.OpenAI, service: LoggedService
) -> None:
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=_ask(SQL))
    assert raw.headers["x-tierroute-speculative"] == "false"
    assert not raw.headers["x-tierroute-model"].endswith("-spec")
    assert "rule:sql-no-speculation" in raw.headers["x-tierroute-reasons"]
    record = _record(service, raw.headers["x-tierroute-request-id"])
    assert record.decision["cascade"] is False and record.escalations == 0


def test_a_refused_cheaper_answer_escalates(client: openai.OpenAI, service: LoggedService) -> None:
    if _small_cascading_prompt() != REFUSED and Router().route(REFUSED).tier != "small":
        pytest.skip("the refusal prompt does not route to the small tier with this classifier")
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=_ask(REFUSED))
    assert raw.parse().choices[0].message.content == "Buenos dias."
    assert raw.headers["x-tierroute-tier"] == "medium"
    assert raw.headers["x-tierroute-escalations"] == "1"
    record = _record(service, raw.headers["x-tierroute-request-id"])
    assert [a.outcome for a in record.attempts][0] == "failed_check"
    assert record.attempts[0].error == "refusal"


def test_killed_and_500ing_backends_fall_back(
    client: openai.OpenAI,
    service: LoggedService,
    backends: tuple[BackendProcess, BackendProcess],
) -> None:
    backends[1].stop()  # the small tier's speculative deployment is gone
    prompt = _small_cascading_prompt(exclude=(REFUSED,))  # REFUSED escalates past small
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=_ask(prompt))
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-tierroute-model"] == "openai/mistral-7b-chat"
    record = _record(service, raw.headers["x-tierroute-request-id"])
    assert [a.kind for a in record.attempts] == ["primary", "fallback"]
    assert record.attempts[0].outcome == "error"
    forced = client.chat.completions.with_raw_response.create(
        model="tierroute/medium", messages=_ask("Explain TCP")
    )  # medium's speculative deployment answers 500 to everything
    assert forced.headers["x-tierroute-model"] == "openai/mixtral-8x7b-chat"


def test_auth_rejects_a_wrong_key(service: LoggedService) -> None:
    bad = openai.OpenAI(base_url=f"{service.url}/v1", api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="auto", messages=_ask("hi"))
    assert _record_tenants(service) == {"acme"}


def test_every_answered_request_has_one_record(service: LoggedService) -> None:
    before = len(read_decision_log(service.log).decisions)
    headers = {"authorization": f"Bearer {KEY}"}
    body = {"model": "auto", "messages": _ask("Say hello in French")}
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as http:
        codes = [http.post("/v1/chat/completions", json=body).status_code for _ in range(12)]
    assert codes == [200] * 12
    contents = read_decision_log(service.log)
    assert not contents.bad_lines
    assert len(contents.decisions) == before + 12


def test_sigkill_mid_load_loses_no_answered_record(workdir: Path, policy_file: Path) -> None:
    log = workdir / "killed.jsonl"
    service = LoggedService(policy_file, log).start()
    answered: list[str] = []
    sent: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        with httpx.Client(base_url=service.url, timeout=30) as http:
            for j in range(200):
                rid = f"kill-{index}-{j}"
                with lock:
                    sent.append(rid)
                try:
                    response = http.post(
                        "/v1/chat/completions",
                        json={"model": "auto", "messages": _ask(f"Say hello number {j}")},
                        headers={"x-request-id": rid},
                    )
                except httpx.TransportError:
                    return
                if response.status_code == 200:
                    with lock:
                        answered.append(rid)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(answered) >= 30, "30 answered requests", timeout_s=60)
    assert service.proc is not None
    service.proc.send_signal(signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=60)
    service.proc.wait(timeout=10)
    logged = {r.request_id for r in read_decision_log(log).decisions}
    assert len(answered) >= 30
    assert set(answered) <= logged <= set(sent)


def test_an_invalid_hot_reload_keeps_the_old_policy(
    client: openai.OpenAI, service: LoggedService, policy_file: Path
) -> None:
    headers = {"authorization": f"Bearer {KEY}"}
    before = httpx.get(f"{service.url}/readyz", headers=headers).json()
    good = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(good.replace("max_escalations: 2", "max_escalations: -1"), "utf-8")
    try:
        assert service.proc is not None
        service.proc.send_signal(signal.SIGHUP)

        def refused() -> dict[str, Any] | None:
            status = httpx.get(f"{service.url}/readyz").json()
            return status if status["last_reload_error"] else None

        status = wait_until(refused, "the refused reload")
        assert "max_escalations" in json.dumps(status["last_reload_error"])
        assert status["policy_version"] == before["policy_version"]
        reply = client.chat.completions.create(model="auto", messages=_ask("Say hi"))
        assert reply.choices[0].message.content
    finally:
        policy_file.write_text(good, encoding="utf-8")


def _record(service: LoggedService, request_id: str):  # type: ignore[no-untyped-def]
    matches = [r for r in read_decision_log(service.log).decisions if r.request_id == request_id]
    assert len(matches) == 1, f"{len(matches)} records for {request_id}"
    return matches[0]


def _record_tenants(service: LoggedService) -> set[str | None]:
    return {r.tenant for r in read_decision_log(service.log).decisions}
