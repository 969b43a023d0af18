"""Prometheus metrics: what a scrape of GET /metrics shows after requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from policies import default_policy_path
from router import Attempt, Decision, DecisionRecord
from serving._settings import Settings
from serving.http._app import create_app
from serving.http._metrics import Metrics, reason_code
from tests.fakes import VaryingScorer, wait_until


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _decision(tier: str, rules: tuple[str, ...] = ()) -> Decision:
    return Decision(
        tier=tier,
        model=f"openai/{tier}",
        speculative=False,
        cascade=True,
        complexity=0.5,
        scores={tier: 1.0},
        reasons=("rule", "classifier") if rules else ("classifier",),
        rules=rules,
        est_cost_usd=0.0,
        est_latency_ms=1.0,
        policy_version="p@1",
        classifier_version="c",
    )


def _record() -> DecisionRecord:
    attempts = (
        Attempt("openai/small", "small", "primary", "failed_check", 250.0, 50.0, 10, 3, 0.001),
        Attempt("openai/medium", "medium", "escalation", "error", 20.0, error="APIError"),
        Attempt("openai/medium-b", "medium", "fallback", "ok", 1500.0, 120.0, 10, 40, 0.01),
    )
    return DecisionRecord(
        request_id="r1",
        timestamp="2025-01-01T00:00:00Z",
        prompt_sha256="0" * 64,
        decision=_decision("small").to_dict(),
        attempts=attempts,
        status="ok",
    )


def test_a_proxied_request_shows_up_in_the_scrape() -> None:
    metrics = Metrics()
    metrics.observe_request("/v1/chat/completions", 200, 1.8)
    metrics.observe_request("/v1/chat/completions", 401)
    metrics.observe_record(_record())
    s = _samples(metrics)
    assert (
        s[("tierroute_requests_total", (("endpoint", "/v1/chat/completions"), ("status", "200")))]
        == 1
    )
    assert (
        s[("tierroute_requests_total", (("endpoint", "/v1/chat/completions"), ("status", "401")))]
        == 1
    )
    assert s[("tierroute_decisions_total", (("speculative", "false"), ("tier", "small")))] == 1
    assert s[("tierroute_escalations_total", (("tier", "medium"),))] == 1
    assert s[("tierroute_fallbacks_total", (("tier", "medium"),))] == 1
    cost = sum(v for (name, _), v in s.items() if name == "tierroute_cost_usd_total")
    assert abs(cost - 0.011) < 1e-12
    ttft = (("model", "openai/medium-b"), ("tier", "medium"))
    assert s[("tierroute_backend_ttft_seconds_count", ttft)] == 1
    assert s[("tierroute_backend_ttft_seconds_bucket", (("le", "0.1"), *ttft))] == 0
    assert s[("tierroute_backend_ttft_seconds_bucket", (("le", "0.25"), *ttft))] == 1
    outcome = (("model", "openai/medium"), ("outcome", "error"), ("tier", "medium"))
    assert s[("tierroute_backend_calls_total", outcome)] == 1
    assert (
        s[("tierroute_tokens_total", (("direction", "output"), ("model", "openai/medium-b")))] == 40
    )


def test_rules_reasons_and_classifier_latency() -> None:
    metrics = Metrics()
    for _ in range(3):
        metrics.observe_decision(_decision("frontier", rules=("sql-no-speculation",)))
    metrics.observe_decision(_decision("small").to_dict())
    metrics.observe_classifier(0.002, batch_size=8)
    s = _samples(metrics)
    assert s[("tierroute_rule_matches_total", (("rule", "sql-no-speculation"),))] == 3
    assert s[("tierroute_decision_reasons_total", (("reason", "classifier"),))] == 4
    assert s[("tierroute_decisions_total", (("speculative", "false"), ("tier", "frontier")))] == 3
    assert s[("tierroute_classifier_duration_seconds_count", ())] == 1
    assert s[("tierroute_classifier_batch_size_sum", ())] == 8


def test_policy_info_follows_reloads() -> None:
    metrics = Metrics()
    metrics.set_policy("p@1", "c1")
    metrics.observe_reload(ok=False)
    metrics.set_policy("p@2", "c1")
    metrics.observe_reload(ok=True)
    s = _samples(metrics)
    info = {labels for name, labels in s if name == "tierroute_policy_info"}
    assert info == {(("classifier_version", "c1"), ("policy_version", "p@2"))}
    assert s[("tierroute_policy_reloads_total", (("result", "error"),))] == 1


def test_two_apps_in_one_process_do_not_share_counts() -> None:
    first, second = Metrics(), Metrics()
    first.observe_request("/v1/route", 200)
    first.observe_request("/v1/route", 200)
    second.observe_request("/v1/route", 200)
    key = ("tierroute_requests_total", (("endpoint", "/v1/route"), ("status", "200")))
    assert _samples(first)[key] == 2
    assert _samples(second)[key] == 1


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("threshold:medium complexity=0.41>=0.35", "threshold:medium"),
        ("utility:small p_suffices=0.83 w=0.50", "utility:small"),
        ("classifier:frontier p=0.77", "classifier:frontier"),
        ("objective:max-cost<=0.01", "objective:max-cost"),
        ("objective:latency-slo<=2500ms", "objective:latency-slo"),
        ("context:40000-tokens-moved-to-frontier", "context:tokens-moved-to-frontier"),
        ("cascade:try-cheaper-first p=0.62", "cascade:try-cheaper-first"),
        ("rule:sql-no-speculation", "rule:sql-no-speculation"),
        ("rule:gpt4-only", "rule:gpt4-only"),
    ],
)
def test_reasons_are_counted_by_their_code(reason: str, code: str) -> None:
    assert reason_code(reason) == code


def _prompts(n: int) -> list[str]:
    topics = ("SQL", "poetry", "tax law", "a Python bug", "orbital mechanics")
    out = [f"Question {i}: explain {topics[i % 5]} in {i + 3} words" for i in range(n - 10)]
    out += [f"SELECT * FROM t{i} WHERE id = {i}; why is it slow?" for i in range(10)]
    return out


def test_a_hundred_prompts_give_a_bounded_set_of_reason_labels(tmp_path: Path) -> None:
    settings = Settings(decision_log=None, policy_poll_s=None)
    app = create_app(settings, completion=_unused, scorer=VaryingScorer())
    with TestClient(app) as client:
        texts = set()
        for prompt in _prompts(100):
            response = client.post("/v1/route", json={"prompt": prompt})
            assert response.status_code == 200
            texts.update(response.json()["reasons"])
        scrape = client.get("/metrics").text
    labels = _labels(scrape, "tierroute_decision_reasons_total", "reason")
    assert len(texts) > 100  # the decisions' own reasons carry their numbers...
    assert 3 <= len(labels) <= 20  # ...the metric's labels do not
    assert not any(ch.isdigit() for label in labels for ch in label), labels
    assert "rule:sql-no-speculation" in labels
    assert any(label.startswith(("threshold:", "utility:")) for label in labels)
    counted = sum(
        s.value
        for f in text_string_to_metric_families(scrape)
        for s in f.samples
        if s.name == "tierroute_decision_reasons_total"
    )
    assert counted >= 200  # every decision's reasons were counted


def _labels(scrape: str, sample: str, label: str) -> set[str]:
    return {
        s.labels[label]
        for family in text_string_to_metric_families(scrape)
        for s in family.samples
        if s.name == sample
    }


async def _unused(**kwargs: Any) -> Any:
    raise AssertionError("no backend call expected")


def test_policy_info_follows_a_hot_reload_of_the_served_app(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    text = default_policy_path().read_text(encoding="utf-8")
    policy_file.write_text(text, encoding="utf-8")
    settings = Settings(decision_log=None, policy=policy_file, policy_poll_s=0.05)
    app = create_app(settings, completion=_unused, scorer=VaryingScorer())
    with TestClient(app) as client:
        before = client.get("/readyz").json()["policy_version"]
        assert _labels(client.get("/metrics").text, "tierroute_policy_info", "policy_version") == {
            before
        }
        policy_file.write_text(text.replace('version: "1"', 'version: "2"', 1), encoding="utf-8")
        changed = lambda: client.get("/readyz").json()["policy_version"] != before  # noqa: E731
        wait_until(changed, "the reloaded policy")
        after = client.get("/readyz").json()["policy_version"]
        scrape = client.get("/metrics").text
    assert after != before and after.startswith("default@2")
    assert _labels(scrape, "tierroute_policy_info", "policy_version") == {after}
    assert _labels(scrape, "tierroute_policy_info", "classifier_version") == {"varying-test"}
    assert 'tierroute_policy_reloads_total{result="ok"} 1.0' in scrape


def test_made_up_pass_through_model_names_add_no_series(tmp_path: Path) -> None:
    from tests.fakes import HELLO, make_client

    client, _ = make_client(tmp_path)
    with client:
        client.post("/v1/chat/completions", json={"model": "openai/warmup", "messages": HELLO})
        client.get("/metrics")  # its own series exist from the second scrape on
        before = client.get("/metrics").text.count("\n")
        for i in range(50):
            body = {"model": f"openai/made-up-{i}", "messages": HELLO}
            assert client.post("/v1/chat/completions", json=body).status_code == 200
        text = client.get("/metrics").text
    assert "made-up" not in text
    assert text.count("\n") == before  # the same series, higher counts
    assert (
        'tierroute_backend_calls_total{model="passthrough",outcome="ok",tier="passthrough"} 51.0'
        in text
    )
