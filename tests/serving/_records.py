"""Sample decision-log records for the decision-log tests (also imported by the child
process of the crash test, so it stays a plain module, not a test module)."""

from __future__ import annotations

from router import Attempt, Decision, DecisionRecord
from serving._decision_log import prompt_sha256, utc_now_iso


def sample_decision(tier: str = "small", model: str = "openai/mistral-7b-chat") -> Decision:
    """A routing decision for the small tier (or ``tier``/``model``)."""
    return Decision(
        tier=tier,
        model=model,
        speculative=False,
        cascade=True,
        complexity=0.2,
        scores={"small": 0.7, "medium": 0.2, "frontier": 0.1},
        reasons=("classifier",),
        rules=(),
        est_cost_usd=1e-5,
        est_latency_ms=300.0,
        policy_version="default@1#abc",
        classifier_version="tfidf-test",
    )


def sample_record(index: int, prompt: str | None = None, **extra: object) -> DecisionRecord:
    """Request ``req-INDEX``: escalated small -> medium, with a response and metadata;
    ``extra`` overrides any field."""
    text = prompt if prompt is not None else f"question number {index}: what is {index} + 1?"
    attempts = (
        Attempt("openai/mistral-7b-chat", "small", "primary", "failed_check", 120.0, 40.0, 12, 0),
        Attempt("openai/mixtral-8x7b-chat", "medium", "escalation", "ok", 300.0, 80.0, 12, 9, 2e-5),
    )
    fields: dict[str, object] = {
        "request_id": f"req-{index}",
        "timestamp": utc_now_iso(),
        "prompt_sha256": prompt_sha256(text),
        "decision": sample_decision().to_dict(),
        "attempts": attempts,
        "status": "ok",
        "tenant": "acme",
        "prompt": text,
        "response": f"{index + 1}",
        "final_model": "openai/mixtral-8x7b-chat",
        "final_tier": "medium",
        "escalations": 1,
        "metadata": {"user": "u1"},
    }
    fields.update(extra)
    return DecisionRecord(**fields)  # type: ignore[arg-type]
