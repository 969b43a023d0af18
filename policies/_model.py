"""Typed policy models.

A policy says which model tiers exist (cheapest first), what each deployment costs
and how fast it is, how classifier scores map to tiers, which override rules apply,
and the objective knobs (budget, latency SLO, quality/cost weight).

Every model is frozen and rejects unknown keys; validators reject the foot-guns
(empty matchers, unknown tier names, duplicate tiers, tiers with no deployments,
negative prices) with messages that name the field.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from policies._review_gates import ReviewGates
from policies._steering import steering_param

__all__ = [
    "DETECTOR_NAMES",
    "Calibration",
    "CascadeConfig",
    "ClassifierConfig",
    "ConversationConfig",
    "Deployment",
    "Matcher",
    "Objective",
    "OverrideRule",
    "Policy",
    "RuleActions",
    "Tier",
]

DETECTOR_NAMES = ("sql", "code", "math", "pii", "long_context")
DetectorName = Literal["sql", "code", "math", "pii", "long_context"]
# Detectors with a high-recall mode a rule can ask for (``mode: recall``).
RECALL_MODE_DETECTORS = ("sql",)
DetectorMode = Literal["default", "recall"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Deployment(_Frozen):
    """One litellm deployment that can serve a tier."""

    model: str = Field(min_length=1, description="litellm model string, e.g. openai/gpt-4o-mini")
    api_base: str | None = None
    api_key_env: str | None = Field(
        default=None, description="name of the environment variable that holds the API key"
    )
    input_cost_per_mtok: float = Field(ge=0, description="USD per 1M input tokens")
    output_cost_per_mtok: float = Field(ge=0, description="USD per 1M output tokens")
    ttft_ms: float = Field(ge=0, description="expected time to first token")
    tpot_ms: float = Field(ge=0, description="expected time per output token")
    context_window: int = Field(gt=0, description="max input + output tokens")
    speculative: bool = Field(
        default=False, description="runs speculative decoding (e.g. vLLM with a draft model)"
    )
    extra_params: tuple[str, ...] = Field(
        default=(),
        description="request parameters beyond OpenAI's that clients may pass through to "
        "this deployment (e.g. top_k for vLLM); never credentials or endpoints",
    )

    @field_validator("extra_params")
    @classmethod
    def _no_steering(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", name):
                raise ValueError(f"{name!r} is not a parameter name (letters, digits, _)")
            if steering_param(name):
                raise ValueError(
                    f"{name!r} steers the backend call (endpoint, credentials, headers or "
                    "litellm internals) and cannot be passed through"
                )
        return value

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        return (
            input_tokens * self.input_cost_per_mtok + output_tokens * self.output_cost_per_mtok
        ) / 1e6

    def latency_ms(self, output_tokens: int) -> float:
        return self.ttft_ms + output_tokens * self.tpot_ms


class Tier(_Frozen):
    """A model tier: one or more deployments of comparable strength."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    deployments: tuple[Deployment, ...]
    expected_output_tokens: int = Field(
        default=256, gt=0, description="output tokens assumed when estimating cost and latency"
    )

    @field_validator("deployments")
    @classmethod
    def _has_deployments(cls, value: tuple[Deployment, ...]) -> tuple[Deployment, ...]:
        if not value:
            raise ValueError("a tier needs at least one deployment")
        return value


class ClassifierConfig(_Frozen):
    """How classifier scores become a tier.

    ``threshold``: complexity (0..1) at or above ``thresholds[tier]`` picks that tier
    (the highest one reached wins; the first tier takes the rest).
    ``utility``: pick the tier that maximises
    ``w * P(tier suffices) - (1 - w) * cost / max_cost`` with ``w = objective.quality_weight``.
    """

    strategy: Literal["threshold", "utility"] = "threshold"
    thresholds: dict[str, float] = Field(default_factory=dict)
    target_tier_share: dict[str, float] = Field(
        default_factory=dict,
        description="calibration target, e.g. {frontier: 0.3}; written by `tierroute calibrate`",
    )

    @field_validator("thresholds", "target_tier_share")
    @classmethod
    def _unit_interval(cls, value: dict[str, float]) -> dict[str, float]:
        for name, number in value.items():
            if not 0.0 <= number <= 1.0:
                raise ValueError(f"{name}: must be between 0 and 1, got {number}")
        return value


class Matcher(_Frozen):
    """When a rule applies. Every field that is set must match (AND)."""

    detector: DetectorName | None = None
    # "recall": the detector's high-recall mode (more false alarms, fewer misses), for
    # safety rules such as "SQL never goes to a speculative deployment"
    mode: DetectorMode = "default"
    min_tokens: int | None = Field(default=None, gt=0)
    regex: str | None = None
    metadata: dict[str, str] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Matcher:
        if self.detector is None and self.regex is None and not self.metadata:
            if self.min_tokens is None:
                raise ValueError(
                    "empty matcher: set at least one of detector, regex, metadata "
                    "(an empty matcher would match every request)"
                )
        if self.detector == "long_context" and self.min_tokens is None:
            raise ValueError("detector long_context needs min_tokens")
        if self.min_tokens is not None and self.detector not in (None, "long_context"):
            raise ValueError("min_tokens only goes with detector long_context")
        if self.mode == "recall" and self.detector not in RECALL_MODE_DETECTORS:
            raise ValueError(
                f"mode: recall needs a detector that has a high-recall mode "
                f"({', '.join(RECALL_MODE_DETECTORS)}), got {self.detector!r}"
            )
        if self.regex is not None:
            if not self.regex:
                raise ValueError("regex: empty pattern matches every request")
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex: invalid pattern: {exc}") from exc
        return self


class RuleActions(_Frozen):
    """What a matching rule does. Rules can only switch speculation and cascade off."""

    force_tier: str | None = None
    min_tier: str | None = None
    max_tier: str | None = None
    speculation: Literal[False] | None = None
    cascade: Literal[False] | None = None

    @model_validator(mode="after")
    def _some_action(self) -> RuleActions:
        if all(getattr(self, f) is None for f in type(self).model_fields):
            raise ValueError("a rule needs at least one action")
        if self.force_tier is not None and (self.min_tier or self.max_tier):
            raise ValueError("force_tier cannot be combined with min_tier or max_tier")
        return self

    def tier_names(self) -> dict[str, str]:
        pairs = {"force_tier": self.force_tier, "min_tier": self.min_tier}
        pairs["max_tier"] = self.max_tier
        return {key: value for key, value in pairs.items() if value is not None}


class OverrideRule(_Frozen):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    match: Matcher
    actions: RuleActions


class CascadeConfig(_Frozen):
    """Try-cheaper-first: start one tier below when the cheaper tier likely suffices."""

    enabled: bool = True
    try_cheaper_min_p: float = Field(
        default=0.35,
        ge=0,
        le=1,
        description="start one tier lower when P(that tier suffices) is at least this",
    )
    max_escalations: int = Field(default=2, ge=0)


class ConversationConfig(_Frozen):
    """Multi-turn stickiness: a conversation does not bounce down mid-task.

    With ``sticky``, a follow-up turn routes to at least ``max_step_down`` tiers below
    the tier that served the previous turn (0: never lower). The caller passes the
    previous tier (serving keeps it per conversation id; replay per conversation).
    """

    sticky: bool = False
    max_step_down: int = Field(default=0, ge=0)


class Calibration(_Frozen):
    """Where ``tierroute calibrate`` left the thresholds; ``tierroute drift`` reads it.

    ``tier_share`` is the share per tier the fitted thresholds gave on the replayed logs,
    ``interval`` its bootstrap confidence interval (``[low, high]`` per tier).
    """

    target: str = Field(min_length=1, description="e.g. frontier-share=0.3")
    tier_share: dict[str, float]
    interval: dict[str, tuple[float, float]]
    confidence: float = Field(default=0.95, gt=0, lt=1)
    fitted_on: str = Field(min_length=1, description="the replayed logs")
    n_requests: int = Field(gt=0)
    date: str = Field(min_length=1, description="ISO 8601 date of the fit")

    @model_validator(mode="after")
    def _intervals(self) -> Calibration:
        for name, (low, high) in self.interval.items():
            if not 0.0 <= low <= high <= 1.0:
                raise ValueError(f"interval.{name}: expected 0 <= low <= high <= 1")
        for name, share in self.tier_share.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"tier_share.{name}: must be between 0 and 1, got {share}")
        return self


class Objective(_Frozen):
    max_cost_usd_per_request: float | None = Field(default=None, gt=0)
    latency_slo_ms: float | None = Field(default=None, gt=0)
    quality_weight: float = Field(default=0.7, ge=0, le=1)


class Policy(_Frozen):
    """A complete routing policy."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    tiers: tuple[Tier, ...] = Field(min_length=1)
    classifier: ClassifierConfig = ClassifierConfig()
    overrides: tuple[OverrideRule, ...] = ()
    cascade: CascadeConfig = CascadeConfig()
    objective: Objective = Objective()
    conversations: ConversationConfig = ConversationConfig()
    calibration: Calibration | None = None
    max_prompt_chars: int = Field(default=4_000_000, gt=0)
    review_gates: ReviewGates = ReviewGates()  # promotion gates; no effect on routing

    @model_validator(mode="after")
    def _cross_references(self, info: ValidationInfo) -> Policy:
        if info.context and info.context.get("defer_cross_checks"):
            return self  # the YAML loader reports these itself, each with its line
        problems = self.cross_reference_problems()
        if problems:
            raise ValueError("; ".join(f"{path}: {message}" for path, message in problems))
        return self

    def cross_reference_problems(self) -> list[tuple[str, str]]:
        """Problems that span fields, as (dotted field path, message) pairs."""
        names = [tier.name for tier in self.tiers]
        problems = [
            (f"tiers.{i}.name", f"duplicate tier name {name!r}")
            for i, name in enumerate(names)
            if name in names[:i]
        ]
        problems += self._check_tier_keys("classifier.thresholds", self.classifier.thresholds)
        problems += self._check_tier_keys(
            "classifier.target_tier_share", self.classifier.target_tier_share
        )
        if self.calibration is not None:
            problems += self._check_tier_keys("calibration.tier_share", self.calibration.tier_share)
            problems += self._check_tier_keys("calibration.interval", self.calibration.interval)
        problems += self._check_thresholds()
        problems += self._check_rules()
        return problems

    def _check_tier_keys(self, where: str, mapping: Mapping[str, object]) -> list[tuple[str, str]]:
        names = self.tier_names
        return [
            (f"{where}.{key}", f"unknown tier {key!r} (tiers are {list(names)})")
            for key in mapping
            if key not in names
        ]

    def _check_thresholds(self) -> list[tuple[str, str]]:
        cfg = self.classifier
        if cfg.strategy != "threshold":
            return []
        names = self.tier_names
        problems = []
        if names[0] in cfg.thresholds:
            problems.append(
                (
                    f"classifier.thresholds.{names[0]}",
                    "the first tier takes every score below the next threshold; do not give it one",
                )
            )
        missing = [n for n in names[1:] if n not in cfg.thresholds]
        if missing:
            problems.append(("classifier.thresholds", f"missing thresholds for tiers {missing}"))
        ordered = [cfg.thresholds[n] for n in names[1:] if n in cfg.thresholds]
        if ordered != sorted(ordered):
            problems.append(("classifier.thresholds", "must increase with tier order"))
        return problems

    def _check_rules(self) -> list[tuple[str, str]]:
        names = self.tier_names
        problems = []
        seen: set[str] = set()
        for i, rule in enumerate(self.overrides):
            if rule.name in seen:
                problems.append((f"overrides.{i}.name", f"duplicate rule name {rule.name!r}"))
            seen.add(rule.name)
            for key, tier in rule.actions.tier_names().items():
                if tier not in names:
                    problems.append(
                        (
                            f"overrides.{i}.actions.{key}",
                            f"unknown tier {tier!r} (tiers are {list(names)})",
                        )
                    )
            lo, hi = rule.actions.min_tier, rule.actions.max_tier
            if lo in names and hi in names and names.index(lo) > names.index(hi):
                problems.append(
                    (f"overrides.{i}.actions", f"min_tier {lo!r} is above max_tier {hi!r}")
                )
        return problems

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(tier.name for tier in self.tiers)

    def tier_index(self, name: str) -> int:
        return self.tier_names.index(name)

    @property
    def fingerprint(self) -> str:
        """Short content hash: two policies with the same fingerprint route the same
        (the promotion gates, the calibration record and the pass-through parameter
        allow-lists do not route: left out)."""
        passthrough = {"__all__": {"deployments": {"__all__": {"extra_params"}}}}
        routing = self.model_dump_json(
            exclude={"review_gates": True, "calibration": True, "tiers": passthrough}
        )
        return hashlib.sha256(routing.encode()).hexdigest()[:8]

    @property
    def version_string(self) -> str:
        return f"{self.name}@{self.version}#{self.fingerprint}"
