"""The decision engine: prompt features + classifier scores + policy -> Decision.

Order of a decision (each step that changes the tier adds a reason code):

1. the scorer gives tier probabilities; the policy's strategy picks a tier;
2. objective caps: the budget per request and the latency SLO may lower it;
3. override rules: ``force_tier``, then ``min_tier``/``max_tier`` (a minimum beats a
   maximum when they conflict: quality first); rules may switch speculation and
   cascade off;
4. try-cheaper-first: when cascade is allowed and the tier below likely suffices,
   start there (serving escalates if the answer fails its checks);
5. deployment: the first deployment of the tier that fits the context window and
   the speculation setting (speculative ones are preferred when allowed: faster);
   if none fits, the next tier up that has one.

No I/O happens here: the policy and the scorer are loaded when a Router is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifier import ComplexityScorer
from policies import ClassifierError, Deployment, Policy, PolicyError, PolicyProblem
from policies import default_policy as _load_default_policy
from policies import load_policy as _load_policy
from router._conversation import DetectorHits, scan_prompt
from router._decision import Decision
from router._detectors import DETECTORS
from router._prompt import PromptInput, normalize_prompt
from router._rules import Constraints, RequestFeatures, collect_constraints
from router._strategies import STRATEGIES, complexity_of

__all__ = ["Prompt", "Router", "default_scorer"]

Prompt = str | Sequence[Mapping[str, Any]]


def default_scorer() -> ComplexityScorer:
    """The scorer ``Router()`` uses when none is given: the shipped INT8 student
    (``classifier/_model``, onnxruntime, no torch), or the shipped TF-IDF baseline when
    the package was built without it."""
    from classifier import load_default_scorer

    return load_default_scorer()


@dataclass(frozen=True)
class _Pick:
    tier: int
    deployment: Deployment
    reasons: tuple[str, ...]


class Router:
    """Holds a policy and a scorer; turns prompts into :class:`Decision` objects."""

    def __init__(self, policy: Policy | None = None, scorer: ComplexityScorer | None = None):
        self.policy = policy if policy is not None else _load_default_policy()
        self.scorer = scorer if scorer is not None else default_scorer()
        self._label_map = _label_map(self.scorer.labels, self.policy.tier_names)
        self._strategy = STRATEGIES[self.policy.classifier.strategy]
        _check_deployable(self.policy)
        self._policy_version = self.policy.version_string  # a content hash: compute it once
        self._recall_for = sorted(  # detectors a rule wants in their high-recall mode
            {str(r.match.detector) for r in self.policy.overrides if r.match.mode == "recall"}
        )
        # only the detectors a rule names run (long_context is a token count, not a scan)
        named = {str(r.match.detector) for r in self.policy.overrides}
        self._detectors = tuple(name for name in DETECTORS if name in named)

    @classmethod
    def from_policy(cls, path: str | Path, scorer: ComplexityScorer | None = None) -> Router:
        return cls(_load_policy(path), scorer)

    def route(self, prompt: Prompt, *, metadata: Mapping[str, object] | None = None) -> Decision:
        return self.route_batch([prompt], metadata=[metadata or {}])[0]

    def route_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        metadata: Sequence[Mapping[str, object]] | None = None,
    ) -> list[Decision]:
        """Route many prompts with one scorer call. ``metadata`` is one mapping per prompt."""
        if isinstance(prompts, str):
            raise TypeError("route_batch takes a list of prompts; use route() for one")
        metas = list(metadata) if metadata is not None else [{}] * len(prompts)
        if len(metas) != len(prompts):
            raise ValueError(f"got {len(prompts)} prompts but {len(metas)} metadata entries")
        inputs = [normalize_prompt(p, self.policy.max_prompt_chars) for p in prompts]
        probs = self.score([i.classifier_text for i in inputs])
        return [self._decide(i, p, m) for i, p, m in zip(inputs, probs, metas, strict=True)]

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Tier probabilities in policy tier order, shape (len(texts), n_tiers)."""
        raw = np.asarray(self.scorer.score(texts), dtype=np.float64)
        if raw.shape != (len(texts), len(self.scorer.labels)):
            raise ClassifierError(
                f"scorer {self.scorer.version} returned shape {raw.shape}, "
                f"expected {(len(texts), len(self.scorer.labels))}"
            )
        return raw[:, self._label_map]

    def _decide(
        self, prompt: PromptInput, probs: NDArray[np.float64], metadata: Mapping[str, object]
    ) -> Decision:
        policy = self.policy
        hits = scan_prompt(prompt, self._recall_for, self._detectors)
        features = RequestFeatures(
            hits.names, prompt.input_tokens, prompt.detector_text, metadata, hits.recall
        )
        constraints = collect_constraints(policy, features)
        tier, reason = self._strategy.choose(probs, policy)
        reasons = [
            f"classifier:{policy.tier_names[int(np.argmax(probs))]} p={float(probs.max()):.2f}",
            reason,
        ]
        tier = self._apply_objective(tier, prompt.input_tokens, reasons)
        tier = _apply_rules(tier, constraints, policy, reasons)
        cascade = constraints.cascade and policy.cascade.enabled
        if cascade and constraints.force_tier is None and tier > constraints.min_tier:
            p_below = float(np.cumsum(probs)[tier - 1])
            if p_below >= policy.cascade.try_cheaper_min_p:
                tier -= 1
                reasons.append(f"cascade:try-cheaper-first p={p_below:.2f}")
        pick = self._deployment(tier, prompt.input_tokens, constraints.speculation)
        reasons.extend(pick.reasons)
        return self._build(prompt, probs, hits, constraints, pick, reasons, cascade)

    def _apply_objective(self, tier: int, input_tokens: int, reasons: list[str]) -> int:
        objective = self.policy.objective
        start = tier
        while tier > 0 and objective.max_cost_usd_per_request is not None:
            if self._estimate(tier, input_tokens)[0] <= objective.max_cost_usd_per_request:
                break
            tier -= 1
        if tier < start:
            reasons.append(f"objective:max-cost<={objective.max_cost_usd_per_request}")
        capped = tier
        while tier > 0 and objective.latency_slo_ms is not None:
            if self._estimate(tier, input_tokens)[1] <= objective.latency_slo_ms:
                break
            tier -= 1
        if tier < capped:
            reasons.append(f"objective:latency-slo<={objective.latency_slo_ms:g}ms")
        return tier

    def _estimate(self, tier: int, input_tokens: int) -> tuple[float, float]:
        spec = self.policy.tiers[tier]
        deployment = spec.deployments[0]
        out = spec.expected_output_tokens
        return deployment.cost_usd(input_tokens, out), deployment.latency_ms(out)

    def _deployment(self, tier: int, input_tokens: int, speculation: bool) -> _Pick:
        """The deployment for ``tier``; the next tier up (then down) when none fits."""
        tiers = self.policy.tiers
        for index in [*range(tier, len(tiers)), *range(tier - 1, -1, -1)]:
            need = input_tokens + tiers[index].expected_output_tokens
            fitting = [
                d
                for d in tiers[index].deployments
                if d.context_window >= need and (speculation or not d.speculative)
            ]
            if fitting:
                chosen = _prefer_speculative(fitting) if speculation else fitting[0]
                return _Pick(index, chosen, self._move_reason(tier, index, need))
        usable = [d for t in tiers for d in t.deployments if speculation or not d.speculative]
        largest = max(usable, key=lambda d: d.context_window)
        index = next(i for i, t in enumerate(tiers) if largest in t.deployments)
        return _Pick(index, largest, ("context:exceeds-every-window",))

    def _move_reason(self, wanted: int, got: int, need: int) -> tuple[str, ...]:
        if wanted == got:
            return ()
        name = self.policy.tier_names[got]
        if any(d.context_window >= need for d in self.policy.tiers[wanted].deployments):
            return (f"speculation:off-moved-to-{name}",)
        return (f"context:{need}-tokens-moved-to-{name}",)

    def _build(
        self,
        prompt: PromptInput,
        probs: NDArray[np.float64],
        hits: DetectorHits,
        constraints: Constraints,
        pick: _Pick,
        reasons: list[str],
        cascade: bool,
    ) -> Decision:
        policy = self.policy
        out_tokens = policy.tiers[pick.tier].expected_output_tokens
        return Decision(
            tier=policy.tier_names[pick.tier],
            model=pick.deployment.model,
            speculative=pick.deployment.speculative,
            cascade=cascade and pick.tier < len(policy.tiers) - 1,
            complexity=round(complexity_of(probs), 4),
            scores={
                name: round(float(p), 4) for name, p in zip(policy.tier_names, probs, strict=True)
            },
            reasons=tuple(reasons + [f"rule:{name}" for name in constraints.rules]),
            rules=tuple(constraints.rules),
            est_cost_usd=pick.deployment.cost_usd(prompt.input_tokens, out_tokens),
            est_latency_ms=pick.deployment.latency_ms(out_tokens),
            policy_version=self._policy_version,
            classifier_version=self.scorer.version,
            input_tokens=prompt.input_tokens,
            detectors=tuple(sorted(hits.turns)),
            detector_turns=dict(sorted(hits.turns.items())),
        )


def _apply_rules(tier: int, constraints: Constraints, policy: Policy, reasons: list[str]) -> int:
    names = policy.tier_names
    if constraints.force_tier is not None:
        if constraints.force_tier != tier:
            reasons.append(f"rules:forced-{names[constraints.force_tier]}")
        return constraints.force_tier
    if constraints.max_tier is not None and tier > constraints.max_tier:
        tier = constraints.max_tier
        reasons.append(f"rules:capped-at-{names[tier]}")
    if tier < constraints.min_tier:
        tier = constraints.min_tier
        reasons.append(f"rules:raised-to-{names[tier]}")
    return tier


def _prefer_speculative(deployments: list[Deployment]) -> Deployment:
    return next((d for d in deployments if d.speculative), deployments[0])


def _label_map(labels: tuple[str, ...], tiers: tuple[str, ...]) -> list[int]:
    """Column of the scorer output for each policy tier (by name, else by position)."""
    if set(labels) == set(tiers):
        return [labels.index(name) for name in tiers]
    if len(labels) == len(tiers):
        return list(range(len(tiers)))
    raise ClassifierError(
        f"scorer labels {list(labels)} cannot be mapped onto policy tiers {list(tiers)}: "
        "give them the same names or the same number of ordinal classes"
    )


def _check_deployable(policy: Policy) -> None:
    """A rule that switches speculation off needs a non-speculative deployment somewhere."""
    switches_off = any(rule.actions.speculation is False for rule in policy.overrides)
    has_plain = any(not d.speculative for t in policy.tiers for d in t.deployments)
    if switches_off and not has_plain:
        problem = PolicyProblem(
            policy.name,
            None,
            "tiers",
            "a rule switches speculation off but every "
            "deployment is speculative, so such requests could go nowhere",
        )
        raise PolicyError([problem])
