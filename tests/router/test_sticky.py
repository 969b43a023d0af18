"""Sticky conversations: a follow-up turn does not bounce down a tier."""

from __future__ import annotations

import json
from pathlib import Path

from labeling.replay import read_replay_logs, route_log
from router import STICKY_REASON, Router, sticky_decision
from tests.fakes import StubScorer
from tests.labeling._replay_fixtures import make_policy

EASY = "Say hello to the team. d=0.05"
HARD = "Prove the theorem about the primes. d=0.95"


def test_follow_up_keeps_the_previous_tier() -> None:
    router = Router(make_policy(sticky=True, urgent_rule=False), StubScorer())
    easy = router.route(EASY)
    assert easy.tier == "small"
    kept = sticky_decision(router, easy, "frontier")
    assert kept.tier == "frontier"
    assert kept.model == "openai/gpt-4-1106-preview"
    assert kept.est_cost_usd > easy.est_cost_usd
    assert any(r.startswith(STICKY_REASON) for r in kept.reasons)
    assert sticky_decision(router, easy, None) is easy  # a new conversation
    assert sticky_decision(router, router.route(HARD), "small").tier == "frontier"  # up is fine


def test_policy_may_allow_a_step_down_or_switch_it_off() -> None:
    policy = make_policy(sticky=True, urgent_rule=False)
    conversations = policy.conversations.model_copy(update={"max_step_down": 1})
    step = Router(policy.model_copy(update={"conversations": conversations}), StubScorer())
    assert sticky_decision(step, step.route(EASY), "frontier").tier == "medium"
    off = Router(make_policy(sticky=False, urgent_rule=False), StubScorer())
    assert sticky_decision(off, off.route(EASY), "frontier").tier == "small"


def _chat_log(path: Path) -> Path:
    turns = [
        [{"role": "user", "content": HARD}],
        [
            {"role": "user", "content": HARD},
            {"role": "assistant", "content": "Here is a start."},
            {"role": "user", "content": EASY},
        ],
        [{"role": "user", "content": EASY}],  # another conversation
    ]
    with path.open("w", encoding="utf-8") as handle:
        for i, messages in enumerate(turns):
            record = {
                "request": {"model": "openai/gpt-4-1106-preview", "messages": messages},
                "response": {"choices": [{"message": {"content": "ok"}}], "model": "gpt-4"},
                "timestamp": 1_700_000_000 + i,
            }
            handle.write(json.dumps(record) + "\n")
    return path


def test_replay_honours_the_same_rule(tmp_path: Path) -> None:
    log_path = _chat_log(tmp_path / "chat.jsonl")
    tiers = {}
    for sticky in (True, False):
        policy = make_policy(sticky=sticky, urgent_rule=False)
        routed = route_log(read_replay_logs([log_path], policy), policy, StubScorer())
        tiers[sticky] = [policy.tier_names[t] for t in routed.policy_tier]
    assert tiers[True] == ["frontier", "frontier", "small"]
    assert tiers[False] == ["frontier", "small", "small"]
