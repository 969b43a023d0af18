"""Multi-turn stickiness: a conversation does not bounce down a tier mid-task.

With ``conversations.sticky`` in the policy, a follow-up turn goes to at least the tier
that served the previous turn, less ``conversations.max_step_down`` tiers. The rule is
pure: the caller keeps the previous tier (serving per conversation id, replay per
conversation in the log) and passes it in. A rule's ``max_tier`` still caps the result
(an explicit policy rule beats stickiness); the raise adds the reason
``rule:sticky-conversation``.

Conversation identity is shared by serving and replay: the client's id, or for clients
that send none ``auto:<hash of tenant and first user turn>``. A request follows up on
its conversation when the client named it, or when it holds more than one user turn
(:func:`follows_up`), so two chats that open with the same "hi" do not share a tier.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from policies import Policy
from router._decision import Decision
from router._engine import Router

__all__ = [
    "AUTO_CONVERSATION_PREFIX",
    "STICKY_REASON",
    "auto_conversation_id",
    "follows_up",
    "sticky_decision",
    "sticky_floor",
]

STICKY_REASON = "rule:sticky-conversation"
AUTO_CONVERSATION_PREFIX = "auto:"


def auto_conversation_id(tenant: str | None, first_user_content: Any) -> str:
    """``auto:`` + 16 hex digits of SHA-256 over the tenant and the first user turn."""
    text = f"{tenant or ''}\x00{json.dumps(first_user_content, ensure_ascii=False)}"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return AUTO_CONVERSATION_PREFIX + digest[:16]


def follows_up(conversation_id: str, user_turns: int) -> bool:
    """Whether a request continues its conversation (an id the client sent, or a
    derived id on a request with more than one user turn)."""
    return not conversation_id.startswith(AUTO_CONVERSATION_PREFIX) or user_turns > 1


def sticky_floor(policy: Policy, previous_tier: str | None, rules: tuple[str, ...] = ()) -> int:
    """The lowest tier index a follow-up turn may take (0 when stickiness is off)."""
    config = policy.conversations
    if not config.sticky or previous_tier not in policy.tier_names:
        return 0
    floor = max(0, policy.tier_index(str(previous_tier)) - config.max_step_down)
    for rule in policy.overrides:
        if rule.name in rules and rule.actions.max_tier is not None:
            floor = min(floor, policy.tier_index(rule.actions.max_tier))
    return floor


def sticky_decision(router: Router, decision: Decision, previous_tier: str | None) -> Decision:
    """``decision`` raised to the conversation's floor when it would bounce down."""
    policy = router.policy
    floor = sticky_floor(policy, previous_tier, decision.rules)
    if policy.tier_index(decision.tier) >= floor:
        return decision
    speculation = not any(
        rule.name in decision.rules and rule.actions.speculation is False
        for rule in policy.overrides
    )
    pick = router._deployment(floor, decision.input_tokens, speculation)
    out_tokens = policy.tiers[pick.tier].expected_output_tokens
    return dataclasses.replace(
        decision,
        tier=policy.tier_names[pick.tier],
        model=pick.deployment.model,
        speculative=pick.deployment.speculative,
        cascade=decision.cascade and pick.tier < len(policy.tiers) - 1,
        reasons=(*decision.reasons, *pick.reasons, f"{STICKY_REASON} previous={previous_tier}"),
        est_cost_usd=pick.deployment.cost_usd(decision.input_tokens, out_tokens),
        est_latency_ms=pick.deployment.latency_ms(out_tokens),
    )
