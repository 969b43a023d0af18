"""What every proxied request does around its backend call, whatever the endpoint.

Before: :func:`admit` checks the key's budget and rate limits
(:mod:`serving.http._limits`). After the decision-log record is written:
:func:`after_request` shares the conversation's tier (Redis), adds the real cost and
tokens to the key's budget and windows, and emits the request's trace
(:mod:`serving.http._tracing`). Chat (:mod:`serving.http._chat_call`) and the pass-through
endpoints (:mod:`serving.http._passthrough`) call these, so all of them get the same
limits, accounting and traces.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from router import DecisionRecord
from serving._state import StateError
from serving.http._spend import account

if TYPE_CHECKING:
    from serving.http._auth import Principal
    from serving.http._runtime import Runtime

__all__ = ["admit", "after_request", "after_request_now"]

_log = logging.getLogger("tierroute.serving")
_pending: set[asyncio.Task[None]] = set()


class Finished(Protocol):
    """What :func:`after_request` reads of a request (a ChatCall, or a pass-through call)."""

    runtime: Runtime
    principal: Principal
    started_ns: int
    decided_ns: int | None
    trace_headers: Mapping[str, str] | None


async def admit(runtime: Runtime, principal: Principal, input_tokens: int) -> None:
    """429 (OpenAI's shape, ``Retry-After``) when the key is over budget or a rate."""
    await runtime.limiter.admit(principal, input_tokens)


async def after_request(call: Finished, record: DecisionRecord) -> None:
    runtime = call.runtime
    shared, accounted = await asyncio.gather(
        runtime.conversations.flush(),
        account(runtime.limiter, call.principal, record.attempts),
        return_exceptions=True,
    )
    cost: float | None = None
    if isinstance(accounted, StateError):  # the answer went out; only its accounting is lost
        _log.warning("request %s: spend not recorded: %s", record.request_id, accounted)
    elif isinstance(accounted, BaseException):
        raise accounted
    else:
        cost = accounted
    if isinstance(shared, BaseException):
        raise shared
    runtime.tracing.record(
        record,
        endpoint=str(record.metadata.get("endpoint", "")),
        started_ns=call.started_ns,
        decided_ns=call.decided_ns,
        headers=call.trace_headers,
        cost_usd=cost,
    )


def after_request_now(call: Finished, record: DecisionRecord) -> None:
    """:func:`after_request` from sync code (an abandoned stream's cleanup): scheduled on
    the running loop; without one, only the trace is emitted."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        call.runtime.tracing.record(
            record,
            endpoint=str(record.metadata.get("endpoint", "")),
            started_ns=call.started_ns,
            decided_ns=call.decided_ns,
            headers=call.trace_headers,
        )
        return
    task = loop.create_task(after_request(call, record))
    _pending.add(task)
    task.add_done_callback(_pending.discard)
