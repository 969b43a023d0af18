"""The tierroute service layer: the HTTP service, the cascade that calls the models,
the ``tierroute`` CLI, simulated LLM backends, the HTTP client SDK and the decision log.

    >>> from serving import Client
    >>> Client("http://127.0.0.1:8080", api_key="tr-...").route("Why is this query slow?")

Subpackages: :mod:`serving.http` (app factory, runtime, routes, auth, reload,
metrics), :mod:`serving.cascade` (plans, fallback and escalation, streaming, circuit
breakers, answer checks, litellm), :mod:`serving.cli` (one module per command group)
and :mod:`serving.sim` (simulated backends, child processes, the demo loop). The
client, settings, shared state and decision log sit here, under all four.

Names load lazily (on first attribute access), so importing ``serving`` for the CLI
does not import FastAPI, uvicorn or httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from serving.cli import app, main

if TYPE_CHECKING:
    from labeling.ingest import read_decision_log
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
    from serving.http import create_app, generate_key, hash_key
    from serving.sim import (
        BackendConfig,
        BackendProcess,
        SimModel,
        create_backend_app,
        default_backend_config,
        replay_table_from_routerbench,
        run_backends,
    )

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
    "BackendProcess": "serving.sim",
    "create_backend_app": "serving.sim",
    "run_backends": "serving.sim",
    "BackendConfig": "serving.sim",
    "SimModel": "serving.sim",
    "default_backend_config": "serving.sim",
    "replay_table_from_routerbench": "serving.sim",
    "AsyncClient": "serving._client",
    "Client": "serving._client",
    "InvalidRequestError": "serving._client",
    "ServiceAuthError": "serving._client",
    "ServiceConnectionError": "serving._client",
    "ServiceError": "serving._client",
    "ServiceUnavailableError": "serving._client",
    "DecisionLogWriter": "serving._decision_log",
    "read_decision_log": "labeling.ingest",
    "generate_key": "serving.http",
    "hash_key": "serving.http",
    "create_app": "serving.http",
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
