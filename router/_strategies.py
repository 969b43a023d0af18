"""Tier-selection strategies: tier probabilities + policy -> the tier to aim for.

A strategy is a small object with a ``choose`` method; ``STRATEGIES`` maps the
policy's ``classifier.strategy`` name to it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from policies import Policy

__all__ = ["STRATEGIES", "TierStrategy", "complexity_of"]


def complexity_of(probs: NDArray[np.float64]) -> float:
    """Expected tier position scaled to [0, 1]."""
    if len(probs) == 1:
        return 0.0
    positions = np.arange(len(probs), dtype=np.float64)
    return float(probs @ positions) / (len(probs) - 1)


class TierStrategy(Protocol):
    def choose(self, probs: NDArray[np.float64], policy: Policy) -> tuple[int, str]:
        """Return (tier index, reason code)."""
        ...


class ThresholdStrategy:
    """The highest tier whose complexity threshold is reached; the first tier otherwise."""

    def choose(self, probs: NDArray[np.float64], policy: Policy) -> tuple[int, str]:
        complexity = complexity_of(probs)
        thresholds = policy.classifier.thresholds
        chosen = 0
        for index, name in enumerate(policy.tier_names[1:], start=1):
            if complexity >= thresholds[name]:
                chosen = index
        name = policy.tier_names[chosen]
        bound = f">={thresholds[name]:.2f}" if chosen else "<" + _next_threshold(policy)
        return chosen, f"threshold:{name} complexity={complexity:.2f}{bound}"


def _next_threshold(policy: Policy) -> str:
    return f"{policy.classifier.thresholds[policy.tier_names[1]]:.2f}"


class UtilityStrategy:
    """Maximise ``w * P(tier suffices) - (1 - w) * relative cost``.

    ``P(tier suffices)`` is the probability that the cheapest sufficient tier is at or
    below this one; relative cost is the tier's expected request cost divided by the
    most expensive tier's; ``w`` is ``objective.quality_weight``.
    """

    def choose(self, probs: NDArray[np.float64], policy: Policy) -> tuple[int, str]:
        weight = policy.objective.quality_weight
        suffices = np.cumsum(probs)
        costs = np.array([_typical_cost(policy, i) for i in range(len(policy.tiers))])
        relative = costs / costs.max() if costs.max() > 0 else costs
        utility = weight * suffices - (1 - weight) * relative
        chosen = int(np.argmax(utility))
        name = policy.tier_names[chosen]
        return chosen, f"utility:{name} p_suffices={suffices[chosen]:.2f} w={weight:.2f}"


def _typical_cost(policy: Policy, index: int) -> float:
    tier = policy.tiers[index]
    return tier.deployments[0].cost_usd(1000, tier.expected_output_tokens)


STRATEGIES: dict[str, TierStrategy] = {
    "threshold": ThresholdStrategy(),
    "utility": UtilityStrategy(),
}
