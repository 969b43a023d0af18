"""The tierroute HTTP service (FastAPI): the app factory, its lifespan state and routes.

    uvicorn --factory serving.http:create_app      # or: tierroute serve

:func:`create_app` wires the routes (``/v1/route``, ``/v1/chat/completions``,
pass-through endpoints, ``/v1/models``, health, readiness, ``/metrics``) around one
:class:`Runtime` per app: the hot-reloaded policy, scorer, cascade, decision log,
metrics, API keys, limits and shared state. API keys (hashed, with a tenant and
limits each) are managed with :func:`create_key` / :func:`revoke_key` on a key file
the service follows.
"""

from __future__ import annotations

from serving.http._app import create_app, worker_app
from serving.http._auth import (
    ANONYMOUS,
    ApiKeyEntry,
    Authenticator,
    AuthError,
    KeyStore,
    Principal,
    generate_key,
    hash_key,
)
from serving.http._conversations import Conversation, ConversationStore, identify_conversation
from serving.http._keys import FollowedKeyStore, create_key, read_key_file, revoke_key
from serving.http._limits import KeyLimits, Limiter, RateLimitError
from serving.http._metrics import Metrics
from serving.http._model_follow import ModelFollower
from serving.http._openai_api import ApiError
from serving.http._record import decision_record
from serving.http._reload import PolicyReloader, PolicyState, ReloadFailure
from serving.http._runtime import Runtime
from serving.http._scoring import TimedScorer, load_scorer

__all__ = [
    "ANONYMOUS",
    "ApiError",
    "ApiKeyEntry",
    "AuthError",
    "Authenticator",
    "Conversation",
    "ConversationStore",
    "FollowedKeyStore",
    "KeyLimits",
    "KeyStore",
    "Limiter",
    "Metrics",
    "ModelFollower",
    "PolicyReloader",
    "PolicyState",
    "Principal",
    "RateLimitError",
    "ReloadFailure",
    "Runtime",
    "TimedScorer",
    "create_app",
    "create_key",
    "decision_record",
    "generate_key",
    "hash_key",
    "identify_conversation",
    "load_scorer",
    "read_key_file",
    "revoke_key",
    "worker_app",
]
