"""OpenTelemetry traces of each request: the decision and every backend attempt.

One trace per request (child of the caller's ``traceparent`` when it sends one)::

    tierroute.request   POST /v1/chat/completions    request id, tenant, key id, status, cost
    ├─ tierroute.decision                            tier, model, reasons, rules, classifier
    │                                                and policy versions, complexity, estimates
    ├─ tierroute.backend  gpt-4o-mini                model, tier, kind, outcome, TTFT, tokens, cost
    └─ tierroute.backend  gpt-4o                     (one per attempt: fallbacks, escalations)

The spans are built from the decision-log record when the request ends, so a trace
and the log line say the same thing. Attempts run one after another; each backend
span starts where the previous ended and lasts the latency the attempt logged.

Export: with ``otlp_endpoint`` (``TIERROUTE_OTLP_ENDPOINT``) or the standard
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans go
over OTLP/HTTP (batched, off the request path). Otherwise they go to the global
tracer provider: a no-op unless the process installed one (``opentelemetry-instrument``).
Tests pass their own provider with an in-memory exporter.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from router import Attempt, DecisionRecord

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from serving._settings import Settings

__all__ = ["Tracing", "otlp_provider"]

_SCOPE = "tierroute"


def otlp_provider(endpoint: str) -> TracerProvider:
    """A tracer provider that batches spans to an OTLP/HTTP endpoint."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "tierroute"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


class Tracing:
    """Turns finished requests into spans on one tracer."""

    def __init__(self, provider: Any = None) -> None:
        self.provider = provider
        self.tracer = (provider or trace.get_tracer_provider()).get_tracer(_SCOPE)

    @classmethod
    def from_settings(cls, settings: Settings, provider: Any = None) -> Tracing:
        if provider is None:
            endpoint = settings.otlp_endpoint or os.environ.get(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
            )
            base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            if not endpoint and base:
                endpoint = base.rstrip("/") + "/v1/traces"
            if endpoint:
                provider = otlp_provider(endpoint)
        return cls(provider)

    def shutdown(self) -> None:
        """Flush and stop the provider this object built (not a global one)."""
        shutdown = getattr(self.provider, "shutdown", None)
        if callable(shutdown):
            shutdown()

    def record(
        self,
        record: DecisionRecord,
        *,
        endpoint: str,
        started_ns: int,
        decided_ns: int | None,
        headers: Mapping[str, str] | None = None,
        cost_usd: float | None = None,
    ) -> None:
        """Emit the spans of one finished request (see the module docstring)."""
        parent = propagate.extract(dict(headers or {}))
        end_ns = time.time_ns()
        root = self.tracer.start_span(
            "tierroute.request",
            context=parent,
            kind=SpanKind.SERVER,
            start_time=started_ns,
            attributes=_clean(
                {
                    "http.route": endpoint,
                    "tierroute.request_id": record.request_id,
                    "tierroute.tenant": record.tenant,
                    "tierroute.key_id": record.metadata.get("key_id"),
                    "tierroute.requested_model": record.metadata.get("requested_model"),
                    "tierroute.final_model": record.final_model,
                    "tierroute.final_tier": record.final_tier,
                    "tierroute.escalations": record.escalations,
                    "tierroute.status": record.status,
                    "tierroute.cost_usd": cost_usd,
                    "tierroute.conversation_id": record.conversation_id,
                }
            ),
        )
        context = trace.set_span_in_context(root)
        cursor = started_ns
        if record.decision:
            cursor = decided_ns or started_ns
            self._decision(record.decision, context, started_ns, cursor)
        for attempt in record.attempts:
            cursor = self._attempt(attempt, context, cursor)
        if record.status == "error":
            root.set_status(Status(StatusCode.ERROR, str(record.metadata.get("error", ""))[:200]))
        root.end(end_time=max(end_ns, cursor))

    def _attempt(self, attempt: Attempt, context: Any, start: int) -> int:
        """The span of one backend attempt, from ``start`` for its logged latency."""
        length = int(attempt.latency_ms * 1e6)
        span = self.tracer.start_span(
            f"tierroute.backend {attempt.model}",
            context=context,
            kind=SpanKind.CLIENT,
            start_time=start,
            attributes=_clean(
                {
                    "gen_ai.request.model": attempt.model,
                    "gen_ai.usage.input_tokens": attempt.input_tokens,
                    "gen_ai.usage.output_tokens": attempt.output_tokens,
                    "tierroute.tier": attempt.tier,
                    "tierroute.attempt.kind": attempt.kind,
                    "tierroute.attempt.outcome": attempt.outcome,
                    "tierroute.attempt.ttft_ms": attempt.ttft_ms,
                    "tierroute.attempt.latency_ms": attempt.latency_ms,
                    "tierroute.attempt.cost_usd": attempt.cost_usd,
                    "tierroute.attempt.error": attempt.error,
                }
            ),
        )
        if attempt.outcome not in ("ok", "failed_check"):
            span.set_status(Status(StatusCode.ERROR, attempt.error or attempt.outcome))
        span.end(end_time=start + length)
        return start + length

    def _decision(self, decision: Mapping[str, Any], context: Any, start: int, end: int) -> None:
        span = self.tracer.start_span(
            "tierroute.decision",
            context=context,
            start_time=start,
            attributes=_clean(
                {
                    "tierroute.tier": decision.get("tier"),
                    "tierroute.model": decision.get("model"),
                    "tierroute.reasons": list(decision.get("reasons") or ()),
                    "tierroute.rules": list(decision.get("rules") or ()),
                    "tierroute.complexity": decision.get("complexity"),
                    "tierroute.speculative": decision.get("speculative"),
                    "tierroute.cascade": decision.get("cascade"),
                    "tierroute.est_cost_usd": decision.get("est_cost_usd"),
                    "tierroute.est_latency_ms": decision.get("est_latency_ms"),
                    "tierroute.classifier_version": decision.get("classifier_version"),
                    "tierroute.policy_version": decision.get("policy_version"),
                }
            ),
        )
        span.end(end_time=max(start, end))


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """OTel attributes take str/bool/int/float (or lists of them), never None."""
    return {k: v for k, v in attributes.items() if v is not None}
