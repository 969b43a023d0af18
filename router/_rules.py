"""Override rules: which ones match a request, and what they add up to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from policies import Matcher, Policy

__all__ = ["Constraints", "RequestFeatures", "collect_constraints", "rule_matches"]


@dataclass(frozen=True)
class RequestFeatures:
    """What rules can look at: detector hits, size, text and request metadata.

    ``recall_detectors``: the detectors that fired in their high-recall mode, for rules
    with ``mode: recall`` (only the detectors such rules name are run that way)."""

    detectors: frozenset[str]
    input_tokens: int
    text: str
    metadata: Mapping[str, object] = field(default_factory=dict)
    recall_detectors: frozenset[str] = frozenset()


@dataclass
class Constraints:
    """The combined effect of every matching rule, in policy order."""

    rules: list[str] = field(default_factory=list)
    force_tier: int | None = None  # the first matching rule that forces a tier wins
    min_tier: int = 0  # the highest minimum wins
    max_tier: int | None = None  # the lowest maximum wins
    speculation: bool = True  # any rule can switch it off
    cascade: bool = True


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def rule_matches(match: Matcher, features: RequestFeatures) -> bool:
    if match.detector == "long_context" or (match.detector is None and match.min_tokens):
        if features.input_tokens < (match.min_tokens or 0):
            return False
    elif match.detector is not None:
        fired = features.recall_detectors if match.mode == "recall" else features.detectors
        if match.detector not in fired:
            return False
    if match.regex is not None and not _compiled(match.regex).search(features.text):
        return False
    if match.metadata:
        for key, expected in match.metadata.items():
            if str(features.metadata.get(key, "")) != expected or key not in features.metadata:
                return False
    return True


def collect_constraints(policy: Policy, features: RequestFeatures) -> Constraints:
    out = Constraints()
    for rule in policy.overrides:
        if not rule_matches(rule.match, features):
            continue
        out.rules.append(rule.name)
        act = rule.actions
        if act.force_tier is not None and out.force_tier is None:
            out.force_tier = policy.tier_index(act.force_tier)
        if act.min_tier is not None:
            out.min_tier = max(out.min_tier, policy.tier_index(act.min_tier))
        if act.max_tier is not None:
            index = policy.tier_index(act.max_tier)
            out.max_tier = index if out.max_tier is None else min(out.max_tier, index)
        if act.speculation is False:
            out.speculation = False
        if act.cascade is False:
            out.cascade = False
    return out
