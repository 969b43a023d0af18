"""The tierroute service layer: the ``tierroute`` CLI and simulated LLM backends.

The backend names load lazily (on first attribute access), so importing ``serving``
for the CLI does not import FastAPI or uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from serving._cli import app, main

if TYPE_CHECKING:
    from serving._backends import BackendProcess, create_backend_app, run_backends
    from serving._backends_sim import (
        BackendConfig,
        SimModel,
        default_backend_config,
        replay_table_from_routerbench,
    )

__all__ = [
    "BackendConfig",
    "BackendProcess",
    "SimModel",
    "app",
    "create_backend_app",
    "default_backend_config",
    "main",
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
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'serving' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
