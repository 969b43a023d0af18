"""The one decision-record builder: what every endpoint's log record shares."""

from __future__ import annotations

import hashlib

from router import Attempt, Router
from serving.http import Conversation, Principal, decision_record
from serving.http._record import last_user_text
from tests.fakes import StubScorer


def test_a_routed_record_carries_decision_tenant_hash_and_conversation() -> None:
    decision = Router(scorer=StubScorer()).route("Prove it. d=0.9")
    attempt = Attempt("openai/gpt-4o", "frontier", "primary", "ok", 120.0, 40.0, 10, 5, 1e-4)
    record = decision_record(
        "req-1",
        "Prove it. d=0.9",
        Principal(tenant="acme", key_id="k1"),
        metadata={"endpoint": "/v1/chat/completions"},
        decision=decision,
        attempts=[attempt],
        response="Done.",
        final_model="openai/gpt-4o",
        final_tier="frontier",
        conversation=Conversation("conv-7", user_turns=3, tenant="acme"),
    )
    assert record.decision == decision.to_dict() and record.decision["tier"] == "frontier"
    assert record.prompt_sha256 == hashlib.sha256(b"Prove it. d=0.9").hexdigest()
    assert (record.tenant, record.conversation_id, record.user_turns) == ("acme", "conv-7", 3)
    assert record.attempts == (attempt,) and record.status == "ok"
    assert record.timestamp.endswith("Z")


def test_a_pass_through_record_has_no_decision_and_no_conversation() -> None:
    record = decision_record(
        "req-2", "embed me", Principal(tenant=None), metadata={}, status="error"
    )
    assert record.decision == {} and record.attempts == ()
    assert record.conversation_id is None and record.user_turns is None
    assert record.status == "error" and record.tenant is None


def test_last_user_text_joins_content_parts() -> None:
    messages = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "reply"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    ]
    assert last_user_text(messages) == "a\nb"
    assert last_user_text([{"role": "system", "content": "x"}]) == ""
