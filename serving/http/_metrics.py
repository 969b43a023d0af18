"""Prometheus metrics of one app, in a registry of its own.

Each :class:`Metrics` owns a ``CollectorRegistry`` (not the process-global default),
so several apps in one process or test never clash. Times are observed in seconds,
money in USD. Label values come from the policy (tiers, models, rules) and from route
templates, so their number stays bounded; pass ``"/v1/route"``, never a raw URL.
Pass-through models (names the policy does not know) share the model label
``passthrough``.
Decision reasons carry numbers (``threshold:medium complexity=0.41>=0.35``): they are
counted by their code (:func:`reason_code`: ``threshold:medium``), never verbatim.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from policies import Policy
from router import Attempt, Decision, DecisionRecord

__all__ = ["Metrics", "reason_code"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_FAST_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1)
PASSTHROUGH = "passthrough"  # the tier (and model label) of models the policy does not know
_MAX_REASON_CODES = 200  # a safety net: codes past this many are counted as "other"
_VALUE = re.compile(r"[\s<>=].*", re.DOTALL)  # from the first space or comparison: values
_NUMBER = re.compile(r"(?<=[:-])\d+(?:\.\d+)?-?")  # a number opening a segment: 4096-tokens


def reason_code(reason: str) -> str:
    """The bounded code of a decision reason: its kind and names, without its numbers.

    ``threshold:medium complexity=0.41>=0.35`` -> ``threshold:medium``,
    ``objective:max-cost<=0.01`` -> ``objective:max-cost``,
    ``context:40000-tokens-moved-to-frontier`` -> ``context:tokens-moved-to-frontier``,
    ``rule:sql-no-speculation`` stays as it is (rule and tier names come from the policy).
    """
    return _NUMBER.sub("", _VALUE.sub("", reason, count=1)) or "other"


class _Children:
    """``metric.labels(...)`` memoised: the per-request path skips prometheus_client's
    label checks and lock. Only for metrics that are never cleared (a cleared metric
    would orphan the cached children); label sets are bounded, so is the cache."""

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self._found: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._found.get(values)
        if child is None:
            child = self._found[values] = self.metric.labels(*values)
        return child


class Metrics:
    """The service's counters and histograms; :meth:`render` serves ``GET /metrics``."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        namespace: str = "tierroute",
        share_window: int = 1000,
    ):
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        ns, reg = namespace, self.registry
        self.requests = Counter(
            "requests", "HTTP requests by endpoint and status code.",
            ["endpoint", "status"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.request_seconds = Histogram(
            "request_duration_seconds", "HTTP request duration by endpoint.",
            ["endpoint"], namespace=ns, registry=reg, buckets=_LATENCY_BUCKETS,
        )  # fmt: skip
        self.decisions = Counter(
            "decisions", "Routing decisions by chosen tier and speculation.",
            ["tier", "speculative"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.rule_matches = Counter(
            "rule_matches", "Override rules that matched a decision.",
            ["rule"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.reasons = Counter(
            "decision_reasons", "Reason codes given for decisions.",
            ["reason"], namespace=ns, registry=reg,
        )  # fmt: skip
        self._reason_children: dict[str, Any] = {}
        self._requests = _Children(self.requests)
        self._request_seconds = _Children(self.request_seconds)
        self._decisions, self._rules = _Children(self.decisions), _Children(self.rule_matches)
        self._attempt_metrics(ns, reg)
        self._share_metrics(ns, reg, share_window)
        self._guard_metrics(ns, reg)
        self.classifier_seconds = Histogram(
            "classifier_duration_seconds", "Classifier (scorer) call duration.",
            namespace=ns, registry=reg, buckets=_FAST_BUCKETS,
        )  # fmt: skip
        self.classifier_batch = Histogram(
            "classifier_batch_size", "Prompts scored per classifier call.",
            namespace=ns, registry=reg, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        )  # fmt: skip
        self.log_write_seconds = Histogram(
            "decision_log_write_seconds", "Time to append one decision-log record.",
            namespace=ns, registry=reg, buckets=_FAST_BUCKETS,
        )  # fmt: skip
        self.reloads = Counter(
            "policy_reloads", "Policy reload attempts by result (ok/error).",
            ["result"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.model_swaps = Counter(
            "model_swaps", "Registry alias follows: ok, refused (bad version), poll_error.",
            ["result"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.policy_info = Gauge(
            "policy_info", "The policy and classifier being served (value 1).",
            ["policy_version", "classifier_version"], namespace=ns, registry=reg,
        )  # fmt: skip

    def _attempt_metrics(self, ns: str, reg: CollectorRegistry) -> None:
        self.escalations = Counter(
            "escalations", "Cascade escalations to a higher tier, by the tier escalated to.",
            ["tier"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.fallbacks = Counter(
            "fallbacks", "Fallbacks to another deployment, by the tier of the fallback.",
            ["tier"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.backend_calls = Counter(
            "backend_calls", "Backend calls by model, tier and outcome.",
            ["model", "tier", "outcome"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.backend_seconds = Histogram(
            "backend_latency_seconds", "Backend call latency (whole answer).",
            ["model", "tier"], namespace=ns, registry=reg, buckets=_LATENCY_BUCKETS,
        )  # fmt: skip
        self.backend_ttft = Histogram(
            "backend_ttft_seconds", "Backend time to first token.",
            ["model", "tier"], namespace=ns, registry=reg, buckets=_LATENCY_BUCKETS,
        )  # fmt: skip
        self.tokens = Counter(
            "tokens", "Tokens by model and direction (input/output).",
            ["model", "direction"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.cost = Counter(
            "cost_usd", "Backend cost in USD by model and tier.",
            ["model", "tier"], namespace=ns, registry=reg,
        )  # fmt: skip

    def _guard_metrics(self, ns: str, reg: CollectorRegistry) -> None:
        """Circuit breakers and load shedding."""
        self.circuit_open = Gauge(
            "circuit_open", "1 while a deployment's circuit is open (skipped), else 0.",
            ["deployment"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.circuit_events = Counter(
            "circuit_events", "Circuit breaker events: open, half_open, close, skip.",
            ["deployment", "event"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.shed = Counter(
            "requests_shed", "Requests refused at once because the worker was full.",
            ["endpoint"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.in_flight = Gauge(
            "requests_in_flight", "Requests being served by this worker (shed ones excluded).",
            namespace=ns, registry=reg,
        )  # fmt: skip

    def observe_circuit(self, deployment: str, event: str) -> None:
        """A breaker event of a policy deployment (group names: a bounded set)."""
        self.circuit_events.labels(deployment, event).inc()
        if event != "skip":
            self.circuit_open.labels(deployment).set(1 if event == "open" else 0)

    def _share_metrics(self, ns: str, reg: CollectorRegistry, window: int) -> None:
        self._recent_tiers: deque[str] = deque(maxlen=window)
        self._recent_counts: dict[str, int] = {}
        self._tier_names: tuple[str, ...] = ()
        self.tier_share = Gauge(
            "tier_share", f"Share of each tier in the last {window} routed decisions.",
            ["tier"], namespace=ns, registry=reg,
        )  # fmt: skip
        self._tier_share = _Children(self.tier_share)
        self.calibrated_share = Gauge(
            "calibrated_tier_share",
            "The policy's calibrated share per tier (bound: target, low, high); see drift.",
            ["tier", "bound"], namespace=ns, registry=reg,
        )  # fmt: skip

    # -- observations ---------------------------------------------------------------

    def observe_request(self, endpoint: str, status: int, seconds: float | None = None) -> None:
        self._requests(endpoint, str(status)).inc()
        if seconds is not None:
            self._request_seconds(endpoint).observe(seconds)

    def observe_decision(self, decision: Decision | Mapping[str, Any]) -> None:
        data = decision.to_dict() if isinstance(decision, Decision) else decision
        self._decisions(str(data["tier"]), "true" if data["speculative"] else "false").inc()
        for rule in data.get("rules", ()):
            self._rules(str(rule)).inc()
        for reason in data.get("reasons", ()):
            self._reason(reason_code(str(reason))).inc()
        if not any(str(r).startswith("request:forced-") for r in data.get("reasons", ())):
            self._observe_share(str(data["tier"]))

    def _observe_share(self, tier: str) -> None:
        """Rolling share of routed decisions per tier (forced tiers are not routed)."""
        recent, counts = self._recent_tiers, self._recent_counts
        if len(recent) == recent.maxlen:
            counts[recent[0]] -= 1
        recent.append(tier)
        counts[tier] = counts.get(tier, 0) + 1

    def _refresh_share(self) -> None:
        """Set the share gauges from the window (on scrape, not on every decision)."""
        counts, n = self._recent_counts, len(self._recent_tiers)
        if n:
            for name in dict.fromkeys((*self._tier_names, *counts)):
                self._tier_share(name).set(counts.get(name, 0) / n)

    def _reason(self, code: str) -> Any:
        child = self._reason_children.get(code)
        if child is None:
            if len(self._reason_children) >= _MAX_REASON_CODES:
                code = "other"
            child = self._reason_children.setdefault(code, self.reasons.labels(code))
        return child

    def observe_attempts(self, attempts: Sequence[Attempt]) -> None:
        for attempt in attempts:
            # a pass-through model name is the client's string: one label for them all
            model = PASSTHROUGH if attempt.tier == PASSTHROUGH else attempt.model
            self.backend_calls.labels(model, attempt.tier, attempt.outcome).inc()
            self.backend_seconds.labels(model, attempt.tier).observe(attempt.latency_ms / 1000)
            if attempt.ttft_ms is not None:
                self.backend_ttft.labels(model, attempt.tier).observe(attempt.ttft_ms / 1000)
            if attempt.kind == "escalation":
                self.escalations.labels(attempt.tier).inc()
            elif attempt.kind == "fallback":
                self.fallbacks.labels(attempt.tier).inc()
            if attempt.input_tokens:
                self.tokens.labels(model, "input").inc(attempt.input_tokens)
            if attempt.output_tokens:
                self.tokens.labels(model, "output").inc(attempt.output_tokens)
            if attempt.cost_usd:
                self.cost.labels(model, attempt.tier).inc(attempt.cost_usd)

    def observe_record(self, record: DecisionRecord) -> None:
        """A finished proxied request: its decision and every backend attempt."""
        self.observe_decision(record.decision)
        self.observe_attempts(record.attempts)

    def observe_classifier(self, seconds: float, batch_size: int = 1) -> None:
        self.classifier_seconds.observe(seconds)
        self.classifier_batch.observe(batch_size)

    def observe_log_write(self, seconds: float) -> None:
        self.log_write_seconds.observe(seconds)

    def observe_reload(self, ok: bool) -> None:
        self.reloads.labels("ok" if ok else "error").inc()

    def observe_model_swap(self, result: str) -> None:
        self.model_swaps.labels(result).inc()

    def set_policy(self, policy_version: str, classifier_version: str) -> None:
        """Record the policy now served (the previous one's series is removed)."""
        self.policy_info.clear()
        self.policy_info.labels(policy_version, classifier_version).set(1)

    def set_calibration(self, policy: Policy) -> None:
        """Export the policy's calibrated share and interval (none: the series go away)."""
        self._tier_names = policy.tier_names
        self.calibrated_share.clear()
        calibration = policy.calibration
        if calibration is None:
            return
        for tier, (low, high) in calibration.interval.items():
            self.calibrated_share.labels(tier, "low").set(low)
            self.calibrated_share.labels(tier, "high").set(high)
        for tier, share in calibration.tier_share.items():
            self.calibrated_share.labels(tier, "target").set(share)

    def render(self) -> tuple[bytes, str]:
        """The exposition body and its content type, for ``GET /metrics``."""
        self._refresh_share()
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
