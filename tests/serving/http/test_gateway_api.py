"""What gateway users expect, in-process: cost on every answer, n>1, pass-through
embeddings and responses under the same auth/limits/log, /readyz credentials, traces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from policies import default_policy_path
from serving import read_decision_log
from serving._settings import Settings
from serving.http._app import create_app
from serving.http._auth import hash_key
from tests.fakes import FakeBackends, reply

HELLO = [{"role": "user", "content": "Say hello in French"}]
REFUSAL = reply("I'm sorry, but I can't help with that.")
BELOW_FRONTIER = {f"tierroute:{t}:{i}": REFUSAL for t in ("small", "medium") for i in (0, 1)}
SMALL_PRICE = 0.20 / 1e6  # the default policy's small tier, USD per token


class GatewayBackends(FakeBackends):
    """FakeBackends plus the pass-through methods of the litellm completion fn."""

    def __init__(self, behaviour: dict[str, Any] | None = None) -> None:
        super().__init__(behaviour or {})
        self.passed: list[tuple[str, str, dict[str, Any]]] = []

    async def aembedding(self, *, model: str, **params: Any) -> dict[str, Any]:
        self.passed.append(("embedding", model, params))
        if model == "openai/broken":
            raise RuntimeError("upstream down")
        vectors = [{"object": "embedding", "index": 0, "embedding": [0.6, 0.8]}]
        return {"object": "list", "data": vectors, "model": model, "usage": {"prompt_tokens": 7}}

    def serves(self, model: str) -> bool:  # a provider litellm knows
        return not model.startswith("nope/")

    async def aresponses(self, *, model: str, **params: Any) -> dict[str, Any]:
        self.passed.append(("responses", model, params))
        usage = {"input_tokens": 12, "output_tokens": 30, "total_tokens": 42}
        return {"id": "resp_1", "object": "response", "output": [], "usage": usage}


def client_for(tmp_path: Path, backends: FakeBackends, **settings: Any) -> TestClient:
    options: dict[str, Any] = {"decision_log": tmp_path / "decisions.jsonl", "policy_poll_s": None}
    return TestClient(create_app(Settings(**(options | settings)), completion=backends))


def test_every_answer_carries_its_cost_in_the_header_and_usage(tmp_path: Path) -> None:
    with client_for(tmp_path, FakeBackends({})) as client:
        response = client.post(
            "/v1/chat/completions", json={"model": "tierroute/small", "messages": HELLO}
        )
    assert response.status_code == 200
    expected = 30 * SMALL_PRICE  # FakeBackends: 10 prompt + 20 completion tokens
    assert float(response.headers["x-tierroute-cost-usd"]) == pytest.approx(expected)
    assert response.json()["usage"]["cost"] == pytest.approx(expected)
    assert "e" not in response.headers["x-tierroute-cost-usd"]  # plain decimal


def test_cost_sums_every_attempt_of_an_escalated_request(tmp_path: Path) -> None:
    backends = FakeBackends(BELOW_FRONTIER)
    with client_for(tmp_path, backends) as client:
        response = client.post("/v1/chat/completions", json={"model": "auto", "messages": HELLO})
    [record] = read_decision_log(tmp_path / "decisions.jsonl").decisions
    total = sum(a.cost_usd or 0 for a in record.attempts)
    assert len(record.attempts) >= 2 and total > 0
    assert float(response.headers["x-tierroute-cost-usd"]) == pytest.approx(total)


def test_the_stream_usage_chunk_carries_the_cost(tmp_path: Path) -> None:
    body = {"model": "tierroute/small", "messages": HELLO, "stream": True}
    body["stream_options"] = {"include_usage": True}
    with client_for(tmp_path, FakeBackends({})) as client:
        text = client.post("/v1/chat/completions", json=body).text
    events = [json.loads(line[6:]) for line in text.splitlines() if line[6:].startswith("{")]
    usage = events[-1]["usage"]
    assert usage["cost"] == pytest.approx(30 * SMALL_PRICE)


def test_n_above_one_is_served_and_refused_only_with_stream(tmp_path: Path) -> None:
    two = reply("bonjour")
    two["choices"] = [dict(two["choices"][0], index=i) for i in range(2)]
    backends = FakeBackends({"tierroute:small:0": two})
    with client_for(tmp_path, backends) as client:
        served = client.post(
            "/v1/chat/completions", json={"model": "tierroute/small", "messages": HELLO, "n": 2}
        )
        streamed = client.post(
            "/v1/chat/completions",
            json={"model": "tierroute/small", "messages": HELLO, "n": 2, "stream": True},
        )
        too_many = client.post(
            "/v1/chat/completions", json={"model": "auto", "messages": HELLO, "n": 129}
        )
    assert served.status_code == 200 and len(served.json()["choices"]) == 2
    assert backends.params[0]["n"] == 2
    assert streamed.status_code == 400
    assert streamed.json()["error"]["param"] == "n"
    assert streamed.json()["error"]["type"] == "invalid_request_error"
    assert too_many.status_code == 400 and too_many.json()["error"]["param"] == "n"


def test_embeddings_pass_through_with_auth_limits_log_and_cost(tmp_path: Path) -> None:
    backends = GatewayBackends()
    keys = f"{hash_key('tr-k')}=acme"
    with client_for(tmp_path, backends, api_keys=keys) as client:
        auth = {"authorization": "Bearer tr-k"}
        body = {"model": "openai/mistral-7b-chat", "input": ["hello", "world"]}
        denied = client.post("/v1/embeddings", json=body)
        ok = client.post("/v1/embeddings", json=body, headers=auth)
        unknown = client.post(
            "/v1/embeddings", json={"model": "nope/x", "input": "a"}, headers=auth
        )
        broken = client.post(
            "/v1/embeddings", json={"model": "openai/broken", "input": "a"}, headers=auth
        )
    assert denied.status_code == 401
    assert ok.status_code == 200 and ok.json()["data"][0]["embedding"] == [0.6, 0.8]
    kind, group, params = backends.passed[0]
    assert (kind, group, params["input"]) == ("embedding", "tierroute:small:1", ["hello", "world"])
    assert float(ok.headers["x-tierroute-cost-usd"]) == pytest.approx(7 * SMALL_PRICE)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    assert broken.status_code == 502
    records = read_decision_log(tmp_path / "decisions.jsonl").decisions
    assert [r.metadata["endpoint"] for r in records] == ["/v1/embeddings"] * 2
    assert records[0].tenant == "acme" and records[0].attempts[0].input_tokens == 7
    assert records[1].status == "error" and records[1].attempts[0].outcome == "error"


def test_responses_pass_through_non_streaming(tmp_path: Path) -> None:
    backends = GatewayBackends()
    with client_for(tmp_path, backends) as client:
        body = {"model": "openai/gpt-4-1106-preview", "input": "Write a haiku"}
        ok = client.post("/v1/responses", json=body)
        stream = client.post("/v1/responses", json={**body, "stream": True})
    assert ok.status_code == 200 and ok.json()["id"] == "resp_1"
    assert backends.passed[0][:2] == ("responses", "tierroute:frontier:0")
    expected = (12 * 10.0 + 30 * 30.0) / 1e6  # frontier prices in the default policy
    assert float(ok.headers["x-tierroute-cost-usd"]) == pytest.approx(expected)
    assert stream.status_code == 400 and stream.json()["error"]["param"] == "stream"


def test_the_embeddings_rate_limit_is_the_chat_one(tmp_path: Path) -> None:
    from serving.http._keys import create_key

    key, _ = create_key(tmp_path / "keys.yaml", "acme", rpm=1)
    backends = GatewayBackends()
    with client_for(tmp_path, backends, api_keys_file=tmp_path / "keys.yaml") as client:
        client.app.state.runtime.limiter._clock = lambda: 1_800_000_000.0  # type: ignore[attr-defined]
        auth = {"authorization": f"Bearer {key}"}
        chat = client.post(
            "/v1/chat/completions", json={"model": "auto", "messages": HELLO}, headers=auth
        )
        embed = client.post(
            "/v1/embeddings", json={"model": "openai/mistral-7b-chat", "input": "a"}, headers=auth
        )
    assert chat.status_code == 200
    assert embed.status_code == 429 and embed.headers["retry-after"]
    assert backends.passed == []


def test_readyz_lists_deployments_whose_credentials_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    # the frontier tier becomes a hosted provider whose key variable is unset
    text = text.replace(
        "      - model: openai/gpt-4-1106-preview\n        api_base: http://127.0.0.1:8790/v1\n"
        "        api_key_env: TIERROUTE_BACKEND_KEY",
        "      - model: openai/gpt-4o\n        api_key_env: TIERROUTE_TEST_UNSET_KEY",
    )
    policy.write_text(text, encoding="utf-8")
    monkeypatch.delenv("TIERROUTE_TEST_UNSET_KEY", raising=False)
    settings = Settings(policy=policy, decision_log="", policy_poll_s=None)
    with TestClient(create_app(settings)) as client:  # the real litellm Router
        ready = client.get("/readyz")
        monkeypatch.setenv("TIERROUTE_TEST_UNSET_KEY", "sk-test")
        fixed = client.get("/readyz")
    assert ready.status_code == 200  # other tiers can still answer
    [missing] = ready.json()["missing_credentials"]
    assert missing["tier"] == "frontier" and missing["model"] == "openai/gpt-4o"
    assert "TIERROUTE_TEST_UNSET_KEY" in missing["problem"]
    assert fixed.json()["missing_credentials"] == []


def test_readyz_is_503_when_no_deployment_has_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.cli._policy import starter_policy

    policy = tmp_path / "policy.yaml"
    policy.write_text(starter_policy(["openai"]), encoding="utf-8")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = Settings(policy=policy, decision_log="", policy_poll_s=None)
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "not_ready"


def test_traces_have_a_decision_span_and_one_span_per_attempt(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    backends = FakeBackends(BELOW_FRONTIER)
    settings = Settings(decision_log="", policy_poll_s=None)
    app = create_app(settings, completion=backends, tracer_provider=provider)
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with TestClient(app) as client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": "tierroute/small", "messages": HELLO},
            headers={"traceparent": parent},
        )
        client.post("/v1/chat/completions", json={"model": "auto", "messages": HELLO})
    assert response.status_code == 200
    spans = exporter.get_finished_spans()
    roots = [s for s in spans if s.name == "tierroute.request"]
    assert len(roots) == 2
    assert f"{roots[0].context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    decision = next(s for s in spans if s.name == "tierroute.decision")
    attrs = dict(decision.attributes or {})
    assert (
        attrs["tierroute.tier"] == "small" and "request:forced-small" in attrs["tierroute.reasons"]
    )
    assert attrs["tierroute.classifier_version"]
    auto_trace = roots[1].context.trace_id
    backend = [
        s
        for s in spans
        if s.name.startswith("tierroute.backend") and s.context.trace_id == auto_trace
    ]
    assert len(backend) >= 2  # the refusals escalated
    outcomes = [dict(s.attributes or {})["tierroute.attempt.outcome"] for s in backend]
    assert outcomes[0] == "failed_check" and outcomes[-1] == "ok"
    last = dict(backend[-1].attributes or {})
    assert last["gen_ai.usage.output_tokens"] == 20 and last["tierroute.attempt.cost_usd"] > 0
    assert all(
        s.parent is not None and s.parent.span_id == roots[1].context.span_id for s in backend
    )


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/v1/embeddings", "api_base"),
        ("/v1/embeddings", "extra_headers"),
        ("/v1/embeddings", "made_up"),
        ("/v1/responses", "base_url"),
        ("/v1/responses", "mock_response"),
    ],
)
def test_pass_through_parameters_pass_an_allow_list(tmp_path: Path, path: str, param: str) -> None:
    backends = GatewayBackends()
    body = {"model": "openai/mistral-7b-chat", "input": "a", param: "http://attacker/v1"}
    with client_for(tmp_path, backends) as client:
        refused = client.post(path, json=body)
        bad = {"dimensions": 0} if path == "/v1/embeddings" else {"temperature": float("inf")}
        plain = {"model": "openai/mistral-7b-chat", "input": "a", **bad}
        bad_value = client.post(path, content=json.dumps(plain))  # json writes inf: Infinity
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["param"] == param and "Unrecognized request argument" in error["message"]
    assert bad_value.status_code == 400
    assert backends.passed == []  # nothing was called
