"""Simulated OpenAI-compatible backends and the child processes around them.

What the backends answer (:class:`BackendConfig`, deterministic replies, faults), the
FastAPI app that answers it (:func:`create_backend_app`, ``tierroute backends``),
``tierroute backends`` / ``tierroute serve`` as loopback child processes
(:class:`BackendProcess`, :class:`ServiceProcess`) and the demo loop that runs both
(:func:`run_demo_loop`, ``tierroute demo-loop``). For tests, benchmarks and demos.
"""

from __future__ import annotations

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
