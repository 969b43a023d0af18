"""Sticky conversations in the service: the LRU/TTL store, conversation ids, the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labeling.replay import read_replay_logs, route_log
from policies import PromptError, default_policy_path, load_policy
from router import STICKY_REASON, DecisionRecord
from serving import read_decision_log
from serving._settings import Settings
from serving.http._app import create_app
from serving.http._conversations import ConversationStore, identify_conversation
from tests.fakes import FakeBackends, StubScorer, reply

EASY = "Say hello to the team. d=0.05"  # StubScorer: small
HARD = "Prove the theorem about the primes. d=0.95"  # StubScorer: frontier
HEADER = "x-tierroute-conversation-id"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_store_evicts_the_least_recently_used() -> None:
    store = ConversationStore(max_size=2, ttl_s=60)
    store.put(("t", "a"), "small")
    store.put(("t", "b"), "medium")
    assert store.get(("t", "a")) == "small"  # a is now the most recent
    store.put(("t", "c"), "frontier")
    assert (store.get(("t", "b")), store.get(("t", "a")), store.get(("t", "c"))) == (
        None,
        "small",
        "frontier",
    )
    assert len(store) == 2


def test_store_forgets_after_the_ttl_and_a_put_restarts_it() -> None:
    clock = Clock()
    store = ConversationStore(max_size=10, ttl_s=60, clock=clock)
    store.put(("t", "a"), "frontier")
    clock.now += 59
    assert store.get(("t", "a")) == "frontier"
    store.put(("t", "a"), "medium")  # a new turn: another 60 s
    clock.now += 59
    assert store.get(("t", "a")) == "medium"
    clock.now += 1
    assert store.get(("t", "a")) is None
    assert len(store) == 0  # the expired entry is dropped, not kept
    off = ConversationStore(max_size=0)
    off.put(("t", "a"), "frontier")
    assert off.get(("t", "a")) is None
    with pytest.raises(ValueError, match="ttl_s"):
        ConversationStore(ttl_s=0)


def test_conversation_ids_from_header_metadata_or_the_first_turn() -> None:
    chat = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": HARD},
        {"role": "assistant", "content": "..."},
        {"role": "user", "content": EASY},
    ]
    given = identify_conversation(
        chat, tenant="acme", header="h-1", metadata={"conversation_id": "m-1"}
    )
    assert (given.id, given.user_turns, given.follows_up) == ("h-1", 2, True)
    meta = identify_conversation(EASY, tenant="acme", metadata={"session_id": "s-1"})
    assert meta.id == "s-1" and meta.follows_up  # a named conversation always follows up
    litellm = identify_conversation(EASY, tenant=None, body_extra={"litellm_session_id": "l-1"})
    assert litellm.id == "l-1"
    derived = identify_conversation(chat, tenant="acme")
    first = identify_conversation(chat[:2], tenant="acme")
    assert derived.id == first.id and derived.id.startswith("auto:")
    assert derived.follows_up and not first.follows_up  # "hi" twice is two conversations
    assert identify_conversation(chat, tenant="other").id != derived.id
    assert ConversationStore().get(("other", given.id)) is None
    with pytest.raises(PromptError, match="metadata.conversation_id"):
        identify_conversation(EASY, tenant=None, metadata={"conversation_id": 7})


def _client(
    tmp_path: Path,
    backends: FakeBackends | None = None,
    *,
    sticky: bool = True,
    max_step_down: int = 0,
    cascade: bool = False,
) -> tuple[TestClient, FakeBackends]:
    text = default_policy_path().read_text(encoding="utf-8")
    if not cascade:
        text = text.replace("cascade:\n  enabled: true", "cascade:\n  enabled: false", 1)
    text += f"\nconversations: {{sticky: {str(sticky).lower()}, max_step_down: {max_step_down}}}\n"
    policy = tmp_path / "policy.yaml"
    policy.write_text(text, encoding="utf-8")
    backends = backends or FakeBackends({})
    settings = Settings(
        decision_log=tmp_path / "decisions.jsonl", policy_poll_s=None, policy=policy
    )
    app = create_app(settings, completion=backends, scorer=StubScorer())
    return TestClient(app), backends


def _chat(client: TestClient, *texts: str, **extra: Any) -> Any:
    messages: list[dict[str, str]] = []
    for text in texts:
        messages += [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]
    headers = extra.pop("headers", {})
    body = {"model": "tierroute/auto", "messages": messages[:-1], **extra}
    response = client.post("/v1/chat/completions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response


def _records(tmp_path: Path) -> list[DecisionRecord]:
    return read_decision_log(tmp_path / "decisions.jsonl").decisions


def test_an_easy_follow_up_stays_at_the_tier_of_the_hard_first_turn(tmp_path: Path) -> None:
    test_client, _ = _client(tmp_path)
    with test_client as client:
        first = _chat(client, HARD)
        follow_up = _chat(client, HARD, EASY)
        fresh = _chat(client, EASY)
    assert first.headers["x-tierroute-tier"] == "frontier"
    assert follow_up.headers["x-tierroute-tier"] == "frontier"
    assert STICKY_REASON in follow_up.headers["x-tierroute-reasons"]
    assert fresh.headers["x-tierroute-tier"] == "small"
    assert STICKY_REASON not in fresh.headers["x-tierroute-reasons"]
    one, two, three = _records(tmp_path)
    assert one.conversation_id == two.conversation_id != three.conversation_id
    assert str(one.conversation_id).startswith("auto:")
    assert (one.user_turns, two.user_turns, three.user_turns) == (1, 2, 1)
    assert two.decision["tier"] == "frontier" and two.prompt == EASY


def test_a_named_conversation_steps_down_at_most_max_step_down(tmp_path: Path) -> None:
    test_client, _ = _client(tmp_path, max_step_down=1)
    with test_client as client:
        _chat(client, HARD, headers={HEADER: "c-1"}, stream=True)  # streamed turns count too
        step = _chat(client, EASY, headers={HEADER: "c-1"})  # only the newest turn is sent
        other = _chat(client, EASY, headers={HEADER: "c-2"})
        _chat(client, HARD, metadata={"conversation_id": "m-1"})
        meta = _chat(client, EASY, metadata={"conversation_id": "m-1"})
        bad = client.post(
            "/v1/chat/completions",
            json={"model": "auto", "messages": [{"role": "user", "content": EASY}]},
            headers={HEADER: "x" * 300},
        )
    assert step.headers["x-tierroute-tier"] == "medium"
    assert STICKY_REASON in step.headers["x-tierroute-reasons"]
    assert other.headers["x-tierroute-tier"] == "small"
    assert meta.headers["x-tierroute-tier"] == "medium"
    assert bad.status_code == 400 and HEADER in bad.json()["error"]["message"]
    assert [r.conversation_id for r in _records(tmp_path)] == ["c-1", "c-1", "c-2", "m-1", "m-1"]


def test_the_tier_that_answered_after_escalation_is_the_conversations(tmp_path: Path) -> None:
    refusal = reply("I'm sorry, but I can't help with that.")
    small = {f"tierroute:small:{i}": refusal for i in (0, 1)}
    test_client, backends = _client(tmp_path, FakeBackends(small), cascade=True)
    with test_client as client:
        first = _chat(client, EASY, headers={HEADER: "e-1"})
        calls = len(backends.calls)
        again = _chat(client, EASY, headers={HEADER: "e-1"})
    assert first.headers["x-tierroute-decided-tier"] == "small"
    assert first.headers["x-tierroute-tier"] == "medium"  # small refused, medium answered
    assert again.headers["x-tierroute-decided-tier"] == "medium"
    assert STICKY_REASON in again.headers["x-tierroute-reasons"]
    assert not any(call.startswith("tierroute:small") for call in backends.calls[calls:])


def test_route_endpoint_is_sticky_for_one_prompt_not_for_a_batch(tmp_path: Path) -> None:
    test_client, _ = _client(tmp_path)
    with test_client as client:
        client.post("/v1/route", json={"prompt": HARD}, headers={HEADER: "r-1"})
        kept = client.post("/v1/route", json={"prompt": EASY}, headers={HEADER: "r-1"}).json()
        batch = client.post("/v1/route", json={"prompts": [EASY]}, headers={HEADER: "r-1"})
    assert kept["tier"] == "frontier"
    assert any(r.startswith(STICKY_REASON) for r in kept["reasons"])
    assert batch.json()["decisions"][0]["tier"] == "small"


def test_without_sticky_the_conversation_is_still_logged(tmp_path: Path) -> None:
    test_client, _ = _client(tmp_path, sticky=False)
    with test_client as client:
        _chat(client, HARD, headers={HEADER: "n-1"})
        follow_up = _chat(client, EASY, headers={HEADER: "n-1"})
    assert follow_up.headers["x-tierroute-tier"] == "small"
    assert [r.conversation_id for r in _records(tmp_path)] == ["n-1", "n-1"]


def test_replay_follows_the_logged_conversation_ids(tmp_path: Path) -> None:
    test_client, _ = _client(tmp_path)
    with test_client as client:
        _chat(client, HARD)  # no id: auto:<hash of the first turn>
        _chat(client, HARD, EASY)
        _chat(client, HARD, headers={HEADER: "c-9"})
        _chat(client, EASY, headers={HEADER: "c-9"})
        _chat(client, EASY)  # a new conversation
    log = tmp_path / "decisions.jsonl"
    policy = load_policy(tmp_path / "policy.yaml")
    routed = route_log(read_replay_logs([log], policy), policy, StubScorer())
    served = [r.final_tier for r in _records(tmp_path)]
    replayed = [policy.tier_names[t] for t in routed.policy_tier]
    # the log holds only the newest turn ("EASY"): the logged ids tie it to the first
    assert replayed == served == ["frontier", "frontier", "frontier", "frontier", "small"]
    old = tmp_path / "old.jsonl"  # a log written before conversation ids were recorded
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        del line["conversation_id"], line["user_turns"]
    old.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    routed = route_log(read_replay_logs([old], policy), policy, StubScorer())
    replayed = [policy.tier_names[t] for t in routed.policy_tier]
    assert replayed == ["frontier", "small", "frontier", "small", "small"]
