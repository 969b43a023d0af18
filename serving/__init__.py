"""The tierroute service layer: the ``tierroute`` CLI, simulated LLM backends, the
HTTP client SDK and the decision log.

    >>> from serving import Client
    >>> Client("http://127.0.0.1:8080", api_key="tr-...").route("Why is this query slow?")

Names load lazily (on first attribute access), so importing ``serving`` for the CLI
does not import FastAPI, uvicorn or httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from serving._cli import app, main

if TYPE_CHECKING:
    from labeling.ingest import read_decision_log
    from serving._app import create_app
    from serving._auth import generate_key, hash_key
    from serving._backends import BackendProcess, create_backend_app, run_backends
    from serving._backends_sim import (
        BackendConfig,
        SimModel,
        default_backend_config,
        replay_table_from_routerbench,
    )
    from serving._client import (
        AsyncClient,
        Client,
        InvalidRequestError,
        ServiceAuthError,
        ServiceConnectionError,
        ServiceError,
        ServiceUnavailableError,
    )
    from serving._decision_log import DecisionLogWriter
    from serving._settings import Settings

__all__ = [
    "AsyncClient",
    "BackendConfig",
    "BackendProcess",
    "Client",
    "DecisionLogWriter",
    "InvalidRequestError",
    "ServiceAuthError",
    "ServiceConnectionError",
    "ServiceError",
    "ServiceUnavailableError",
    "Settings",
    "SimModel",
    "app",
    "create_app",
    "create_backend_app",
    "default_backend_config",
    "generate_key",
    "hash_key",
    "main",
    "read_decision_log",
    "replay_table_from_routerbench",
    "run_backends",
]

_LAZY = {
    "BackendProcess": "serving._backends",
    "create_backend_app": "serving._backends",
    "run_backends": "serving._backends",
    "BackendConfig": "serving._backends_sim",
    "SimModel": "serving._backends_sim",
    "default_backend_config": "serving._backends_sim",
    "replay_table_from_routerbench": "serving._backends_sim",
    "AsyncClient": "serving._client",
    "Client": "serving._client",
    "InvalidRequestError": "serving._client",
    "ServiceAuthError": "serving._client",
    "ServiceConnectionError": "serving._client",
    "ServiceError": "serving._client",
    "ServiceUnavailableError": "serving._client",
    "DecisionLogWriter": "serving._decision_log",
    "read_decision_log": "labeling.ingest",
    "generate_key": "serving._auth",
    "hash_key": "serving._auth",
    "create_app": "serving._app",
    "Settings": "serving._settings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'serving' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
