"""The FastAPI service in-process (TestClient), with an injected completion callable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from policies import default_policy_path
from serving.http._auth import hash_key
from tests.fakes import HELLO, SMALL, FakeBackends, UpstreamError, make_client, records, reply

SQL = "SELECT name FROM users WHERE id = 3; why is this slow?"
UNICODE = "日本語 🎉 \u0000 \u202e e\u0301"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    test_client, _ = make_client(tmp_path)
    with test_client:
        yield test_client


def test_route_returns_the_decision_for_a_prompt_messages_or_a_batch(client: TestClient) -> None:
    one = client.post("/v1/route", json={"prompt": SQL})
    assert one.status_code == 200
    assert one.json()["speculative"] is False
    assert "sql-no-speculation" in one.json()["rules"]
    assert one.headers["x-tierroute-request-id"]
    messages = client.post("/v1/route", json={"messages": [{"role": "user", "content": SQL}]})
    assert messages.json()["tier"] == one.json()["tier"]
    batch = client.post("/v1/route", json={"prompts": [SQL, "hi there"], "metadata": {"a": "b"}})
    assert [d["tier"] for d in batch.json()["decisions"]][0] == one.json()["tier"]
    assert len(batch.json()["decisions"]) == 2


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"prompt": "x", "prompts": ["y"]}, "exactly one"),
        ({}, "exactly one"),
        ({"prompt": "   "}, "prompt: is empty"),
        ({"prompt": 3}, "prompt"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"prompts": []}, "prompts"),
        ({"prompt": "hi", "extra": 1}, "extra"),
        (b"{", "invalid JSON"),
        (b"[1, 2]", "object"),
        (b"\xff\xfe", "invalid JSON"),
    ],
)
def test_bad_route_input_is_a_400_that_names_the_field(
    client: TestClient, body: dict[str, Any] | bytes, where: str
) -> None:
    if isinstance(body, bytes):
        response = client.post("/v1/route", content=body)
    else:
        response = client.post("/v1/route", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert where in error["message"]


def test_chat_routes_answers_and_logs_one_record(tmp_path: Path) -> None:
    test_client, backends = make_client(tmp_path)
    with test_client as client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": "tierroute/auto", "messages": HELLO},
            headers={"x-request-id": "req-abc"},
        )
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"].startswith("fine answer from")
    assert body["usage"]["total_tokens"] == 30
    headers = response.headers
    assert headers["x-tierroute-request-id"] == "req-abc"
    assert headers["x-tierroute-tier"] in ("small", "medium", "frontier")
    assert headers["x-tierroute-model"] == body["model"]
    assert headers["x-tierroute-speculative"] in ("true", "false")
    assert headers["x-tierroute-reasons"].startswith("classifier:")
    [record] = records(tmp_path)
    assert record.request_id == "req-abc" and record.status == "ok"
    assert record.prompt == "Say hello in French"
    assert record.final_tier == headers["x-tierroute-tier"]
    assert [a.outcome for a in record.attempts] == ["ok"]
    assert record.decision["tier"] == record.final_tier
    assert backends.calls and "metadata" not in backends.params[0]


def test_sql_never_reaches_a_speculative_deployment(tmp_path: Path) -> None:
    failing = {g: UpstreamError(500) for g in ("tierroute:medium:1",)}
    test_client, backends = make_client(tmp_path, FakeBackends(failing))
    with test_client as client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": "auto", "messages": [{"role": "user", "content": SQL}]},
        )
    assert response.status_code == 200
    assert response.headers["x-tierroute-speculative"] == "false"
    assert all(not g.endswith(":0") or g == "tierroute:frontier:0" for g in backends.calls)
    assert response.headers["x-tierroute-tier"] == "frontier"  # fell back past medium


def test_forced_tier_and_pass_through(tmp_path: Path) -> None:
    test_client, backends = make_client(tmp_path, passthrough=False)
    with test_client as client:
        forced = client.post(
            "/v1/chat/completions", json={"model": "tierroute/frontier", "messages": HELLO}
        )
        assert forced.headers["x-tierroute-tier"] == "frontier"
        assert "request:forced-frontier" in forced.headers["x-tierroute-reasons"]
        named = client.post(
            "/v1/chat/completions", json={"model": "mistral-7b-chat", "messages": HELLO}
        )
        assert named.status_code == 200 and backends.calls[-1] == SMALL
        unknown = client.post("/v1/chat/completions", json={"model": "gpt-9", "messages": HELLO})
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "model_not_found"
        tier = client.post(
            "/v1/chat/completions", json={"model": "tierroute/huge", "messages": HELLO}
        )
        assert tier.status_code == 404 and "tierroute/small" in tier.json()["error"]["message"]


def test_streaming_sends_chunks_usage_and_done(tmp_path: Path) -> None:
    test_client, _ = make_client(tmp_path)
    body = {
        "model": "tierroute/auto",
        "messages": HELLO,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with (
        test_client as client,
        client.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-tierroute-tier"]
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[len("data: ") :]) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text.strip().startswith("fine answer from")
    assert chunks[-1]["usage"]["completion_tokens"] == 20
    [record] = records(tmp_path)
    assert record.metadata["stream"] is True and record.response == text
    assert record.attempts[-1].ttft_ms is not None


def test_backend_failure_is_a_502_with_a_logged_record(tmp_path: Path) -> None:
    everything = [f"tierroute:{t}:{i}" for t in ("small", "medium") for i in (0, 1)]
    broken = FakeBackends(dict.fromkeys([*everything, "tierroute:frontier:0"], UpstreamError(500)))
    test_client, _ = make_client(tmp_path, broken)
    with test_client as client:
        response = client.post("/v1/chat/completions", json={"model": "auto", "messages": HELLO})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_error"
    [record] = records(tmp_path)
    assert record.status == "error" and len(record.attempts) == 5


@pytest.mark.parametrize(
    ("raw", "status", "fragment"),
    [
        (b"{", 400, "invalid JSON"),
        (b'{"model": "auto"}', 400, "messages"),
        (b'{"model": "auto", "messages": []}', 400, "messages"),
        (b'{"model": "", "messages": [{"role": "user", "content": "x"}]}', 400, "model"),
        (b'{"model": "auto", "messages": [{"role": "user", "content": "x"}], "n": 200}', 400, "n"),
        (
            b'{"model": "auto", "messages": [{"role": "user", "content": "\\ud800"}]}',
            400,
            "surrogate",
        ),
        (b'{"model": "auto", "messages": [{"role": "system", "content": "x"}]}', 400, "user"),
        (b'["not", "an", "object"]', 400, "body"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
        (
            json.dumps(
                {"model": "auto", "messages": [{"role": "user", "content": UNICODE}]}
            ).encode(),
            200,
            "",
        ),
    ],
)
def test_bad_chat_input_is_a_4xx_never_a_500(
    client: TestClient, raw: bytes, status: int, fragment: str
) -> None:
    response = client.post(
        "/v1/chat/completions", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    if status != 200:
        assert fragment in response.json()["error"]["message"]


def test_huge_bodies_and_unknown_paths_get_openai_errors(tmp_path: Path) -> None:
    test_client, _ = make_client(tmp_path, max_body_bytes=1000)
    with test_client as client:
        big = client.post("/v1/route", json={"prompt": "x" * 5000})
        assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
        missing = client.get("/v1/nothing")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        wrong = client.get("/v1/chat/completions")
        assert wrong.status_code == 405 and "error" in wrong.json()


def test_api_keys_guard_the_endpoints_and_tag_the_tenant(tmp_path: Path) -> None:
    spec = f"{hash_key('tr-secret')}=acme"
    test_client, _ = make_client(tmp_path, api_keys=spec)
    with test_client as client:
        anonymous = client.post("/v1/chat/completions", json={"model": "auto", "messages": HELLO})
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["code"] == "invalid_api_key"
        wrong = client.post(
            "/v1/route", json={"prompt": "hi"}, headers={"authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
        ok = client.post(
            "/v1/chat/completions",
            json={"model": "auto", "messages": HELLO},
            headers={"authorization": "Bearer tr-secret"},
        )
        assert ok.status_code == 200
        assert client.get("/healthz").status_code == 200  # probes need no key
    [record] = records(tmp_path)
    assert record.tenant == "acme"


def test_models_readiness_and_metrics(tmp_path: Path) -> None:
    test_client, _ = make_client(tmp_path)
    with test_client as client:
        client.post("/v1/chat/completions", json={"model": "auto", "messages": HELLO})
        models = [m["id"] for m in client.get("/v1/models").json()["data"]]
        assert models[:4] == [
            "tierroute/auto",
            "tierroute/small",
            "tierroute/medium",
            "tierroute/frontier",
        ]
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["policy_version"].startswith("default@")
        metrics = client.get("/metrics").text
    assert 'endpoint="/v1/chat/completions"' in metrics
    assert "tierroute_decisions_total" in metrics
    assert "tierroute_classifier" in metrics


def test_an_invalid_policy_reload_keeps_the_old_policy(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(default_policy_path().read_text(encoding="utf-8"), encoding="utf-8")
    test_client, _ = make_client(tmp_path, policy=policy_file)
    with test_client as client:
        before = client.get("/readyz").json()["policy_version"]
        policy_file.write_text("name: broken\ntiers: []\n", encoding="utf-8")
        assert client.app.state.runtime.reloader.reload() is False  # type: ignore[attr-defined]
        after = client.get("/readyz").json()
        assert after["policy_version"] == before
        assert after["last_reload_error"]["problems"]
        response = client.post("/v1/chat/completions", json={"model": "auto", "messages": HELLO})
        assert response.status_code == 200


def test_the_answer_of_the_cheaper_tier_is_checked_over_http(tmp_path: Path) -> None:
    refusal = reply("I'm sorry, but I can't help with that.")
    groups = [f"tierroute:{t}:{i}" for t in ("small", "medium") for i in (0, 1)]
    test_client, backends = make_client(tmp_path, FakeBackends(dict.fromkeys(groups, refusal)))
    with test_client as client:
        response = client.post("/v1/chat/completions", json={"model": "auto", "messages": HELLO})
    assert response.status_code == 200
    assert response.headers["x-tierroute-tier"] == "frontier"
    assert int(response.headers["x-tierroute-escalations"]) >= 1
    [record] = records(tmp_path)
    assert record.escalations >= 1 and record.attempts[0].outcome == "failed_check"


def test_model_flag_loads_a_classifier_artifact(tmp_path: Path) -> None:
    from classifier import DEFAULT_TFIDF_PATH, TfidfScorer

    artifact = tmp_path / "artifact"
    artifact.mkdir()
    (artifact / "tfidf_lr.json").write_bytes(DEFAULT_TFIDF_PATH.read_bytes())
    test_client, _ = make_client(tmp_path, model=str(artifact))
    with test_client as client:
        ready = client.get("/readyz").json()
    assert ready["classifier_version"] == TfidfScorer.load().version


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "/nonexistent/model"], "not a classifier artifact"),
        (["--policy", "/nonexistent/policy.yaml"], "policy.yaml"),
        (["--port", "99999"], "port"),
    ],
)
def test_serve_refuses_bad_flags_with_exit_code_2(args: list[str], message: str) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "from serving import main; main()", "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
