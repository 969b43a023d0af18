"""Routing decisions: prompt features + classifier scores + policy -> Decision.

    >>> from router import route
    >>> decision = route("SELECT name FROM users WHERE id = 3; why is this slow?")
    >>> decision.speculative
    False

Nothing here imports torch, transformers, mlflow, litellm or fastapi.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from classifier import ComplexityScorer
from policies import PolicyError, PromptError, TierrouteError
from router._caches import clear_detector_caches
from router._conversation import detect_turn, scan_prompt
from router._decision import Decision
from router._detectors import (
    DETECTORS,
    PiiMatch,
    detect_code,
    detect_math,
    detect_pii,
    detect_sql,
    find_pii,
)
from router._engine import Prompt, Router, default_scorer
from router._log import (
    LOG_SCHEMA_VERSION,
    Attempt,
    DecisionRecord,
    FeedbackRecord,
    parse_log_record,
    prompt_sha256,
)
from router._prompt import estimate_tokens, normalize_prompt, window
from router._sticky import (
    AUTO_CONVERSATION_PREFIX,
    STICKY_REASON,
    auto_conversation_id,
    follows_up,
    sticky_decision,
    sticky_floor,
)

__all__ = [
    "window",
    "scan_prompt",
    "normalize_prompt",
    "detect_turn",
    "clear_detector_caches",
    "AUTO_CONVERSATION_PREFIX",
    "DETECTORS",
    "LOG_SCHEMA_VERSION",
    "STICKY_REASON",
    "Attempt",
    "DecisionRecord",
    "FeedbackRecord",
    "parse_log_record",
    "prompt_sha256",
    "ComplexityScorer",
    "Decision",
    "PiiMatch",
    "Prompt",
    "PolicyError",
    "PromptError",
    "Router",
    "TierrouteError",
    "auto_conversation_id",
    "default_router",
    "default_scorer",
    "detect_code",
    "detect_math",
    "detect_pii",
    "detect_sql",
    "find_pii",
    "estimate_tokens",
    "follows_up",
    "route",
    "route_batch",
    "sticky_decision",
    "sticky_floor",
]

_default: Router | None = None
_default_lock = threading.Lock()


def default_router() -> Router:
    """The Router behind :func:`route`: default policy and scorer, built on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Router()
    return _default


def route(prompt: Prompt, *, metadata: Mapping[str, object] | None = None) -> Decision:
    """Route one prompt (a string or OpenAI-style messages) with the default Router."""
    return default_router().route(prompt, metadata=metadata)


def route_batch(prompts: list[Prompt]) -> list[Decision]:
    """Route many prompts with the default Router (one classifier call)."""
    return default_router().route_batch(prompts)
