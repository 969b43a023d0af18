"""Prometheus metrics: what a scrape of GET /metrics shows after requests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from router import Attempt, Decision, DecisionRecord
from serving._metrics import Metrics


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
