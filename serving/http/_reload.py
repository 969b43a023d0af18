"""Hot reload of the routing policy: SIGHUP or a change of the file's mtime.

:class:`PolicyReloader` holds one :class:`PolicyState` (policy + the ``Router`` built
from it) and swaps it atomically. A request takes ``reloader.state`` once and uses
that snapshot throughout, so it never mixes two policies. An invalid policy is
rejected: its validation problems go to the ``tierroute.reload`` logger and to
:attr:`PolicyReloader.last_error` (shown by ``/readyz``), and the last good policy
keeps serving. Reading and validating run in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policies import Policy, PolicyError, TierrouteError, default_policy, load_policy
from router import ComplexityScorer, Router
from serving._decision_log import utc_now_iso

__all__ = ["PolicyReloader", "PolicyState", "ReloadFailure"]

_log = logging.getLogger("tierroute.reload")
_FileKey = tuple[int, int, int]


@dataclass(frozen=True)
class PolicyState:
    """One consistent snapshot: take it once per request."""

    policy: Policy
    router: Router
    version: str
    loaded_at: str
    source: str


@dataclass(frozen=True)
class ReloadFailure:
    """Why the latest reload was rejected; the previous policy still serves."""

    message: str
    problems: tuple[str, ...]
    at: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "problems": list(self.problems),
            "at": self.at,
            "source": self.source,
        }


class PolicyReloader:
    """The policy being served, reloaded on SIGHUP or when the file changes.

    ``path=None`` serves the shipped default policy and watches nothing.
    ``build_router`` turns a policy into a ``Router`` (default: ``Router(policy,
    scorer)``, the scorer loaded once and reused by every reload). The first load
    raises :class:`PolicyError` (there is nothing to fall back to); later failures
    never raise.
    """

    def __init__(
        self,
        path: str | Path | None,
        *,
        build_router: Callable[[Policy], Router] | None = None,
        scorer: ComplexityScorer | None = None,
        poll_interval_s: float | None = 2.0,
        on_reload: Callable[[bool], None] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.poll_interval_s = poll_interval_s
        self.reloads = 0
        self.failures = 0
        self.last_error: ReloadFailure | None = None
        self._scorer = scorer
        self._build = build_router if build_router is not None else self._default_build
        self._on_reload = on_reload
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._sighup_loop: asyncio.AbstractEventLoop | None = None
        self._file_key = self._stat()
        self._state = self._load()

    @property
    def state(self) -> PolicyState:
        return self._state

    @property
    def policy(self) -> Policy:
        return self._state.policy

    @property
    def router(self) -> Router:
        return self._state.router

    @property
    def version(self) -> str:
        return self._state.version

    @property
    def sighup_installed(self) -> bool:
        return self._sighup_loop is not None

    @property
    def source(self) -> str:
        return str(self.path) if self.path is not None else "<default policy>"

    # -- reloading ----------------------------------------------------------------

    def reload(self) -> bool:
        """Load the file again; True when a new policy now serves. Never raises."""
        with self._lock:
            self._file_key = self._stat()
            try:
                state = self._load()
            except TierrouteError as exc:
                self._reject(exc)
                return False
            if state.version == self._state.version:
                _log.info("policy %s unchanged (%s)", self.source, state.version)
                self.last_error = None  # the file is good again: the old error is history
                return False
            previous, self._state = self._state, state
            self.reloads += 1
            self.last_error = None
        _log.info("policy reloaded from %s: %s -> %s", self.source, previous.version, state.version)
        self._notify(True)
        return True

    def swap_router(self, build_router: Callable[[Policy], Router]) -> PolicyState:
        """Serve the current policy with a Router from ``build_router`` (e.g. a new
        classifier), which later policy reloads use too. Raises what the build raises;
        the old state keeps serving then."""
        with self._lock:
            policy = self._state.policy
            state = PolicyState(policy, build_router(policy), policy.version_string,
                                utc_now_iso(), self.source)  # fmt: skip
            self._state, self._build = state, build_router
        return state

    async def areload(self) -> bool:
        return await asyncio.to_thread(self.reload)

    def changed(self) -> bool:
        """Whether the file's (mtime, size, inode) differ from the last load attempt."""
        return self.path is not None and self._stat() != self._file_key

    def check(self) -> bool:
        """Reload when the file changed; True when a new policy now serves."""
        return self.changed() and self.reload()

    def status(self) -> dict[str, Any]:
        """For ``/readyz``: what serves, and why the last reload failed (if it did)."""
        return {
            "policy_version": self._state.version,
            "policy_source": self.source,
            "loaded_at": self._state.loaded_at,
            "reloads": self.reloads,
            "reload_failures": self.failures,
            "last_reload_error": self.last_error.to_dict() if self.last_error else None,
        }

    # -- lifespan -----------------------------------------------------------------

    async def start(self) -> None:
        """Install the SIGHUP handler (main thread only) and start polling the file."""
        if self.path is None:
            return
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
            self._sighup_loop = loop
        except (RuntimeError, ValueError, NotImplementedError, AttributeError) as exc:
            _log.warning("SIGHUP reload unavailable (%s); polling only", exc)
        if self.poll_interval_s:
            self._poller = asyncio.create_task(self._poll(self.poll_interval_s))

    async def stop(self) -> None:
        if self._sighup_loop is not None:
            self._sighup_loop.remove_signal_handler(signal.SIGHUP)
            self._sighup_loop = None
        tasks = [*self._tasks, *([self._poller] if self._poller else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._poller = None

    def _on_sighup(self) -> None:
        _log.info("SIGHUP: reloading policy from %s", self.source)
        task = asyncio.get_running_loop().create_task(self.areload())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _poll(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self.changed():
                await self.areload()

    # -- internals ----------------------------------------------------------------

    def _load(self) -> PolicyState:
        policy = load_policy(self.path) if self.path is not None else default_policy()
        router = self._build(policy)
        return PolicyState(policy, router, policy.version_string, utc_now_iso(), self.source)

    def _default_build(self, policy: Policy) -> Router:
        router = Router(policy, self._scorer)
        self._scorer = router.scorer
        return router

    def _reject(self, exc: TierrouteError) -> None:
        problems = tuple(str(p) for p in exc.problems) if isinstance(exc, PolicyError) else ()
        self.failures += 1
        self.last_error = ReloadFailure(
            str(exc), problems or (str(exc),), utc_now_iso(), self.source
        )
        lines = "\n  ".join(self.last_error.problems)
        _log.error(
            "policy reload from %s rejected; still serving %s:\n  %s",
            self.source,
            self._state.version,
            lines,
        )
        self._notify(False)

    def _notify(self, ok: bool) -> None:
        if self._on_reload is not None:
            self._on_reload(ok)

    def _stat(self) -> _FileKey:
        if self.path is None:
            return (0, 0, 0)
        try:
            st = os.stat(self.path)
        except OSError:
            return (-1, -1, -1)
        return (st.st_mtime_ns, st.st_size, st.st_ino)
