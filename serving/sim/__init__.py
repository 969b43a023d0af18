"""Simulated OpenAI-compatible backends and the child processes around them.

What the backends answer (:class:`BackendConfig`, deterministic replies, faults), the
FastAPI app that answers it (:func:`create_backend_app`, ``tierroute backends``),
``tierroute backends`` / ``tierroute serve`` as loopback child processes
(:class:`BackendProcess`, :class:`ServiceProcess`) and the demo loop that runs both
(:func:`run_demo_loop`, ``tierroute demo-loop``). For tests, benchmarks and demos.

Names load on first use, so the answer tables (:class:`BackendConfig`) do not import
FastAPI; the server and the processes do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving.sim._answers import (
        JUDGE_MODEL,
        BackendConfig,
        FaultKind,
        SimModel,
        answer_for,
        completion_body,
        default_backend_config,
        judge_answer,
        replay_table_from_routerbench,
        sse_chunk,
        tool_call_for,
        usage_of,
    )
    from serving.sim._demo_loop import LoopResult, LoopRow, label_log, run_demo_loop
    from serving.sim._process import BackendProcess, ServiceProcess, free_port, stop_process
    from serving.sim._server import create_backend_app, run_backends

__all__ = [
    "JUDGE_MODEL",
    "BackendConfig",
    "BackendProcess",
    "FaultKind",
    "LoopResult",
    "LoopRow",
    "ServiceProcess",
    "SimModel",
    "answer_for",
    "completion_body",
    "create_backend_app",
    "default_backend_config",
    "free_port",
    "judge_answer",
    "label_log",
    "replay_table_from_routerbench",
    "run_backends",
    "run_demo_loop",
    "sse_chunk",
    "stop_process",
    "tool_call_for",
    "usage_of",
]

_LAZY = {
    "JUDGE_MODEL": "serving.sim._answers",
    "BackendConfig": "serving.sim._answers",
    "FaultKind": "serving.sim._answers",
    "SimModel": "serving.sim._answers",
    "answer_for": "serving.sim._answers",
    "completion_body": "serving.sim._answers",
    "default_backend_config": "serving.sim._answers",
    "judge_answer": "serving.sim._answers",
    "replay_table_from_routerbench": "serving.sim._answers",
    "sse_chunk": "serving.sim._answers",
    "tool_call_for": "serving.sim._answers",
    "usage_of": "serving.sim._answers",
    "LoopResult": "serving.sim._demo_loop",
    "LoopRow": "serving.sim._demo_loop",
    "label_log": "serving.sim._demo_loop",
    "run_demo_loop": "serving.sim._demo_loop",
    "BackendProcess": "serving.sim._process",
    "ServiceProcess": "serving.sim._process",
    "free_port": "serving.sim._process",
    "stop_process": "serving.sim._process",
    "create_backend_app": "serving.sim._server",
    "run_backends": "serving.sim._server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'serving.sim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
