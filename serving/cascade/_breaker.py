"""Circuit breaking per deployment: skip one that keeps failing, try it again later.

litellm cools a deployment down only when its model group has other deployments,
and every deployment here is a group of its own (``tierroute:<tier>:<i>``), so the
cascade keeps its own breaker. Per deployment (its group name):

- **closed**: calls go through. Each result is remembered (the last
  ``_MEMORY`` within ``window_s``). When at least ``threshold`` of them failed and
  failures are at least half of them, the circuit **opens**.
- **open** for ``cooldown_s``: the cascade skips the deployment (falls back at once),
  unless every deployment of the plan is open (then it tries them anyway).
- **half-open** after the cooldown: calls go through again; the first failure opens
  the circuit again at once, the first success closes it and forgets the failures.

What counts as a failure: a 5xx or other error, a refused or dropped connection, a
timeout, a 429, a stream that breaks; not a 4xx that rejects the request itself, not
a call the client cancelled. The state lives behind :class:`BreakerStore` so it can
move to a shared store (several workers, several replicas) without touching the
cascade; :class:`CircuitBreaker` keeps it in memory, per worker.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from serving._state import SharedState

_log = logging.getLogger("tierroute.breaker")

__all__ = ["BreakerStore", "CircuitBreaker", "CircuitEvent", "SharedBreaker", "call_result"]

CircuitEvent = Literal["open", "half_open", "close", "skip"]
_MEMORY = 100  # results remembered per deployment


class BreakerStore(Protocol):
    """Where circuit state lives (async, so a network store fits the same calls)."""

    async def allow(self, key: str) -> bool:
        """Whether ``key`` may be called now (an open circuit whose cooldown ended
        becomes half-open and allows)."""
        ...

    async def record(self, key: str, ok: bool) -> None:
        """The result of one call to ``key``."""
        ...

    async def snapshot(self) -> dict[str, dict[str, Any]]:
        """Per known key: ``state`` and the figures behind it (for ``/readyz``)."""
        ...


class CircuitBreaker:
    """:class:`BreakerStore` in this process's memory. ``on_event(key, event)`` hears
    every state change and every skip (metrics)."""

    def __init__(
        self,
        *,
        threshold: int = 3,
        window_s: float = 60.0,
        cooldown_s: float = 30.0,
        on_event: Callable[[str, CircuitEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise ValueError(f"threshold: expected >= 1, got {threshold}")
        self.threshold = threshold
        self.window_s = window_s
        self.cooldown_s = cooldown_s
        self._on_event = on_event
        self._clock = clock
        self._results: dict[str, deque[tuple[float, bool]]] = {}
        self._open_until: dict[str, float] = {}
        self._half_open: set[str] = set()
        self._known: set[str] = set()  # every key with a result (snapshot)
        self.opened = 0  # times any circuit opened

    async def allow(self, key: str) -> bool:
        until = self._open_until.get(key)
        if until is None:
            return True
        if self._clock() < until:
            self._emit(key, "skip")
            return False
        del self._open_until[key]
        self._half_open.add(key)
        self._emit(key, "half_open")
        return True

    async def record(self, key: str, ok: bool) -> None:
        if self.cooldown_s <= 0:
            return  # cooldowns are off
        now = self._clock()
        self._known.add(key)
        if key in self._half_open:
            self._half_open.discard(key)
            if ok:
                self._results.pop(key, None)
                self._emit(key, "close")
            else:
                self._open(key, now)
            return
        if key in self._open_until:
            return  # a call that started before the circuit opened
        results = self._results.setdefault(key, deque(maxlen=_MEMORY))
        results.append((now, ok))
        while results and results[0][0] < now - self.window_s:
            results.popleft()
        failures = sum(not r for _, r in results)
        if not ok and failures >= self.threshold and failures * 2 >= len(results):
            self._open(key, now)

    async def snapshot(self) -> dict[str, dict[str, Any]]:
        now = self._clock()
        out: dict[str, dict[str, Any]] = {}
        for key in sorted(self._known):
            recent = [r for t, r in self._results.get(key, ()) if t >= now - self.window_s]
            state = "closed"
            if key in self._half_open:
                state = "half_open"
            elif key in self._open_until:
                state = "open" if now < self._open_until[key] else "half_open"
            item: dict[str, Any] = {"state": state, "recent_failures": recent.count(False)}
            if state == "open":
                item["retry_in_s"] = round(self._open_until[key] - now, 3)
            out[key] = item
        return out

    def is_open(self, key: str) -> bool:
        """Whether ``key``'s circuit is open now (cooldown not over)."""
        until = self._open_until.get(key)
        return until is not None and self._clock() < until

    def _open(self, key: str, now: float) -> None:
        self._open_until[key] = now + self.cooldown_s
        self._results.pop(key, None)
        self.opened += 1
        self._emit(key, "open")

    def _emit(self, key: str, event: CircuitEvent) -> None:
        if self._on_event is not None:
            self._on_event(key, event)


class SharedBreaker:
    """:class:`BreakerStore` whose open circuits every replica sees.

    Each replica counts the failures it sees itself (a :class:`CircuitBreaker`); when one
    opens a circuit it also writes ``breaker:open:<key>`` to the shared state (Redis) with
    the cooldown as its time to live, and every replica skips that deployment until the
    key expires (then each goes half-open on its own). One GET per admission check; with
    the shared state down, each replica falls back to its own view."""

    def __init__(self, local: CircuitBreaker, state: SharedState) -> None:
        self.local = local
        self.state = state

    async def allow(self, key: str) -> bool:
        if not await self.local.allow(key):
            return False
        from serving._state import StateError

        try:
            opened_elsewhere = await self.state.get(_shared_key(key)) is not None
        except StateError:
            return True  # no shared view: this replica's own counts decide
        if opened_elsewhere:
            self.local._emit(key, "skip")
        return not opened_elsewhere

    async def record(self, key: str, ok: bool) -> None:
        was_open = self.local.is_open(key)
        await self.local.record(key, ok)
        if was_open or not self.local.is_open(key):
            return
        from serving._state import StateError

        try:
            await self.state.set(_shared_key(key), "open", self.local.cooldown_s)
        except StateError as exc:  # this replica's circuit is open anyway
            _log.warning("circuit %s opened here but not shared: %s", key, exc)

    async def snapshot(self) -> dict[str, dict[str, Any]]:
        out = await self.local.snapshot()
        from serving._state import StateError

        for key, item in out.items():
            try:
                shared = await self.state.get(_shared_key(key)) is not None
            except StateError:
                break
            item["shared_open"] = shared
        return out


def _shared_key(key: str) -> str:
    return f"breaker:open:{key}"


def call_result(outcome: str, error: str | None) -> bool | None:
    """What an attempt says about its deployment: True (it answered), False (it
    failed), None (nothing: the upstream rejected the request itself, or litellm's
    own cooldown made no call)."""
    if outcome in ("ok", "failed_check"):
        return True
    if error == "cooldown":
        return None
    code = (error or "").rsplit(" ", 1)[-1]
    if code.isdigit() and 400 <= int(code) < 500 and int(code) not in (408, 429):
        return None
    return False
