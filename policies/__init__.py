"""Typed routing policies: tiers, deployments, thresholds, overrides, objectives."""

from __future__ import annotations

from policies._errors import (
    BackendError,
    ClassifierError,
    LabelingError,
    PolicyError,
    PolicyProblem,
    PromptError,
    RegistryError,
    TierrouteError,
)
from policies._loader import (
    default_policy,
    default_policy_path,
    field_line_finder,
    load_policy,
    parse_policy,
)
from policies._model import (
    DETECTOR_NAMES,
    Calibration,
    CascadeConfig,
    ClassifierConfig,
    ConversationConfig,
    Deployment,
    Matcher,
    Objective,
    OverrideRule,
    Policy,
    RuleActions,
    Tier,
)
from policies._review_gates import ReviewGates
from policies._steering import steering_param

__all__ = [
    "DETECTOR_NAMES",
    "BackendError",
    "Calibration",
    "CascadeConfig",
    "ClassifierConfig",
    "ClassifierError",
    "ConversationConfig",
    "Deployment",
    "LabelingError",
    "Matcher",
    "Objective",
    "OverrideRule",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "PromptError",
    "RegistryError",
    "ReviewGates",
    "RuleActions",
    "Tier",
    "TierrouteError",
    "default_policy",
    "default_policy_path",
    "field_line_finder",
    "load_policy",
    "parse_policy",
    "steering_param",
]
