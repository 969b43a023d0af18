"""Streaming execution: fall back and escalate only before the first token is sent.

For each deployment in the plan the stream is opened and its first
``holdback_chars`` characters are read and held back (or the whole answer, when it
is shorter). Errors, timeouts, 429s and cooldowns up to that point fall back to the
next deployment; a held-back prefix that fails a check (empty, refusal, not JSON when
JSON was asked for) escalates like the non-streaming cascade. Once the first chunk has
gone to the client the deployment is committed: a stream that breaks later ends with
an OpenAI-style error event, and the decision log records the attempt as an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from router import Attempt
from serving.cascade._answer_checks import Verdict
from serving.cascade._cascade import (
    CUT,
    Cascade,
    Plan,
    Target,
    as_dict,
    cascade_error,
    classify_error,
    detail_of,
    short_error,
)

__all__ = ["CLIENT_GONE", "OpenStream", "open_stream"]

AttemptKind = Literal["primary", "fallback", "escalation"]
CLIENT_GONE = "client_disconnected"
_DELTA_KEYS = ("role", "content", "tool_calls", "function_call", "refusal")


def _parts(raw: Any) -> tuple[dict[str, Any], str | None, dict[str, Any] | None]:
    """(delta, finish_reason, usage) of one chunk from litellm or a test double."""
    data = as_dict(raw)
    usage = data.get("usage") or None
    choices = data.get("choices") or []
    if not choices:
        return {}, None, usage
    choice = choices[0]
    delta = {
        k: v for k, v in (choice.get("delta") or {}).items() if k in _DELTA_KEYS and v is not None
    }
    return delta, choice.get("finish_reason"), usage


@dataclass
class OpenStream:
    """A stream committed to ``target``. Iterate :meth:`chunks`; then read the totals."""

    target: Target
    kind: AttemptKind
    attempts: list[Attempt]
    escalations: int
    failed_check: str | None
    started: float
    iterator: AsyncIterator[Any]
    buffered: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    ttft_ms: float | None = None
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    has_tool_calls: bool = False
    ended: bool = False
    error: str | None = None  # set when the upstream broke after the first chunk went out
    finished: bool = False
    cascade: Cascade | None = None  # told how the stream ended (circuit breaker)

    async def pull(self) -> tuple[dict[str, Any], str | None] | None:
        """Read and absorb the next chunk: its (delta, finish_reason), None at the end
        (the iterator is not read again once it has ended)."""
        if self.ended:
            return None
        try:
            raw = await anext(self.iterator)
        except StopAsyncIteration:
            self.ended = True
            return None
        delta, finish, usage = _parts(raw)
        self.absorb(delta, finish, usage)
        return delta, finish

    def absorb(
        self, delta: dict[str, Any], finish: str | None, usage: dict[str, Any] | None
    ) -> None:
        if delta.get("content"):
            if self.ttft_ms is None:
                self.ttft_ms = round((time.perf_counter() - self.started) * 1000, 3)
            self.text.append(delta["content"])
        if delta.get("tool_calls") or delta.get("function_call"):
            self.has_tool_calls = True
        if finish is not None:
            self.finish_reason = finish
        if usage:
            self.usage = usage

    async def chunks(self) -> AsyncIterator[tuple[dict[str, Any], str | None]]:
        """(delta, finish_reason) pairs: the held-back ones, then the rest of the stream."""
        for item in self.buffered:
            yield item
        self.buffered = []
        try:
            while (chunk := await self.pull()) is not None:
                if chunk[0] or chunk[1]:
                    yield chunk
        except (asyncio.CancelledError, GeneratorExit):  # the client went away
            self.error = self.error or CLIENT_GONE
            raise
        except Exception as exc:  # a mid-stream failure: the client gets an error event
            self.error = classify_error(exc)[1]
        else:
            if self.finish_reason is None:
                self.error = "stream_incomplete"
        finally:
            self.finish()
        if self.cascade is not None:  # not reached when the client went away
            await self.cascade.report(self.target, self.final_attempt())

    def finish(self) -> None:
        """Append this deployment's attempt to ``attempts`` (once)."""
        if not self.finished:
            self.finished = True
            self.attempts.append(self.final_attempt())

    def final_attempt(self) -> Attempt:
        usage = self.usage or {}
        n_in, n_out = usage.get("prompt_tokens"), usage.get("completion_tokens")
        outcome: Any = "error" if self.error else ("failed_check" if self.failed_check else "ok")
        return Attempt(
            self.target.model,
            self.target.tier,
            self.kind,
            outcome,
            round((time.perf_counter() - self.started) * 1000, 3),
            self.ttft_ms,
            n_in,
            n_out,
            self.target.cost_usd(n_in, n_out),
            self.error or self.failed_check,
        )

    async def close(self) -> None:
        aclose = getattr(self.iterator, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()


async def _probe(
    cascade: Cascade,
    target: Target,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
    kind: AttemptKind,
    holdback: int,
    details: list[str],
    attempts: list[Attempt],
) -> OpenStream | Attempt:
    """Open a stream and hold back its first characters; an Attempt when it failed."""
    started = time.perf_counter()
    stream_params = {**params, "stream": True, "stream_options": {"include_usage": True}}
    try:
        async with asyncio.timeout(cascade.timeout_s):
            response = await cascade.complete(
                model=target.group, messages=messages, **stream_params
            )
            opened = OpenStream(target, kind, [], 0, None, started, aiter(response))
            while sum(map(len, opened.text)) < max(holdback, 1) and not opened.has_tool_calls:
                if (item := await opened.pull()) is None:
                    break
                if item[0] or item[1]:
                    opened.buffered.append(item)
    except asyncio.CancelledError:  # the client left: the record names the call it cut
        latency = round((time.perf_counter() - started) * 1000, 3)
        attempts.append(Attempt(target.model, target.tier, kind, "error", latency, error=CUT))
        raise
    except Exception as exc:  # before the first chunk went out: fall back
        outcome, name = classify_error(exc)
        details.append(detail_of(exc))
        latency = round((time.perf_counter() - started) * 1000, 3)
        error = short_error(name, exc)
        failed = Attempt(target.model, target.tier, kind, outcome, latency, error=error)
        await cascade.report(target, failed)
        return failed
    if opened.ended and opened.finish_reason is None and not opened.text:
        latency = round((time.perf_counter() - started) * 1000, 3)
        failed = Attempt(
            target.model, target.tier, kind, "error", latency, error="stream_incomplete"
        )
        await cascade.report(target, failed)
        return failed
    opened.cascade = cascade  # the stream's end tells the breaker how it went
    return opened


def _verdict(cascade: Cascade, opened: OpenStream, params: dict[str, Any]) -> Verdict | None:
    text = "".join(opened.text)
    if opened.ended and opened.finish_reason is not None:  # the whole answer is here
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if opened.has_tool_calls:
            message["tool_calls"] = [{}]
        body = {"choices": [{"message": message, "finish_reason": opened.finish_reason}]}
        return cascade.checks.check(body, params)
    return cascade.checks.check_prefix(
        text, params, ended=opened.ended, has_tool_calls=opened.has_tool_calls
    )


async def open_stream(
    cascade: Cascade,
    plan: Plan,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    holdback_chars: int = 48,
    bypass: bool = False,
    attempts: list[Attempt] | None = None,
) -> OpenStream:
    """Walk the plan until a deployment streams an acceptable start; raise if none does.
    Deployments with an open circuit are skipped unless all are (then ``bypass``)."""
    skipped = 0
    attempts = [] if attempts is None else attempts  # the caller's: seen if cancelled
    details: list[str] = []
    held: OpenStream | None = None  # a started answer that failed a check, kept open
    held_at = 0  # index of its attempt entry
    escalations, stage = 0, 0
    kind: AttemptKind = "primary"
    spent = 0.0
    started = time.monotonic()
    while stage < len(plan.stages):
        if held is not None and plan.stages[stage][0].tier_index < held.target.tier_index:
            break
        opened: OpenStream | None = None
        for target in plan.stages[stage]:
            if not bypass and not await cascade.admits(target):
                skipped += 1
                continue
            call_params = plan.params_for(target, params)
            result = await _probe(
                cascade, target, messages, call_params, kind, holdback_chars, details, attempts
            )
            kind = "fallback"
            if isinstance(result, Attempt):
                attempts.append(result)
                continue
            opened = result
            break
        if opened is None:
            stage += 1
            continue
        verdict = _verdict(cascade, opened, params) if plan.checks else None
        if held is not None:
            await held.close()
            held = None
        if verdict is None:
            return _commit(opened, attempts, escalations, None)
        opened.failed_check = verdict.reason
        elapsed_ms = (time.monotonic() - started) * 1000
        if not plan.can_escalate(stage, escalations, spent, elapsed_ms):
            return _commit(opened, attempts, escalations, verdict.reason)
        held, held_at = opened, len(attempts)
        attempts.append(_abandoned(opened, verdict))
        escalations += 1
        stage, kind = stage + 1, "escalation"
    if held is not None:  # escalation found nothing better: send the held answer
        del attempts[held_at]  # its final attempt entry is written when the stream ends
        return _commit(held, attempts, escalations, held.failed_check)
    if skipped and not attempts:  # every circuit is open: try them anyway
        return await open_stream(
            cascade,
            plan,
            messages,
            params,
            holdback_chars=holdback_chars,
            bypass=True,
            attempts=attempts,
        )
    raise cascade_error(attempts, details)


def _commit(
    opened: OpenStream, attempts: list[Attempt], escalations: int, failed: str | None
) -> OpenStream:
    opened.attempts = attempts
    opened.escalations = escalations
    opened.failed_check = failed
    return opened


def _abandoned(opened: OpenStream, verdict: Verdict) -> Attempt:
    latency = round((time.perf_counter() - opened.started) * 1000, 3)
    return Attempt(
        opened.target.model,
        opened.target.tier,
        opened.kind,
        "failed_check",
        latency,
        opened.ttft_ms,
        error=verdict.reason,
    )
