"""Calling the models: plans, the cascade (fallback and escalation), streaming, circuit
breakers, answer checks and the default litellm completion function.

The cascade takes an injectable completion callable (:data:`CompletionFn`; default: a
litellm Router built by :func:`build_completion`), so tests need no sockets. Nothing
here imports litellm until :func:`build_completion` or a credential check runs.
"""

from __future__ import annotations

from serving.cascade._answer_checks import AnswerChecks, Verdict
from serving.cascade._breaker import (
    BreakerStore,
    CircuitBreaker,
    CircuitEvent,
    SharedBreaker,
    call_result,
)
from serving.cascade._cascade import (
    CUT,
    Cascade,
    CascadeError,
    CompletionFn,
    Outcome,
    Plan,
    Target,
    as_dict,
    cascade_error,
    classify_error,
    detail_of,
    group_name,
    passthrough_plan,
    plan_for_decision,
    plan_for_model,
    short_error,
)
from serving.cascade._credentials import deployment_credential_problem, missing_credentials
from serving.cascade._litellm_router import build_completion
from serving.cascade._stream import CLIENT_GONE, OpenStream, open_stream

__all__ = [
    "CLIENT_GONE",
    "CUT",
    "AnswerChecks",
    "BreakerStore",
    "Cascade",
    "CascadeError",
    "CircuitBreaker",
    "CircuitEvent",
    "CompletionFn",
    "OpenStream",
    "Outcome",
    "Plan",
    "SharedBreaker",
    "Target",
    "Verdict",
    "as_dict",
    "build_completion",
    "call_result",
    "cascade_error",
    "classify_error",
    "deployment_credential_problem",
    "detail_of",
    "group_name",
    "missing_credentials",
    "open_stream",
    "passthrough_plan",
    "plan_for_decision",
    "plan_for_model",
    "short_error",
]
