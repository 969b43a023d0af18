"""Serving follows a registry alias: ``--model models:/NAME@champion``.

:class:`ModelFollower` polls the registry every ``poll_interval_s`` seconds (in a worker
thread, off the event loop). When the alias points at another version it downloads and
loads that version, runs a smoke check (scores a few prompts: one finite row per
prompt, summing to 1, tiers the policy can map) and hands the scorer to ``swap``, which
builds a new Router and replaces the serving state atomically: a request takes one
state snapshot, so it never mixes two classifiers and none is dropped.

A version that fails to download, load (a ``TierrouteError``, or an ``OSError``,
``ValueError`` or ``RuntimeError`` from onnxruntime), smoke-check or build a Router is refused: the
old one keeps serving, the error goes to the ``tierroute.model`` logger, to
``status()["last_error"]`` (``/readyz``) and to ``on_result("refused")``; that version
is not tried again until the alias moves. A registry that cannot be reached counts as
``poll_error``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from policies import TierrouteError
from router import ComplexityScorer
from serving._decision_log import utc_now_iso

__all__ = ["SMOKE_PROMPTS", "ModelFollower", "is_alias_uri", "smoke_check"]

_log = logging.getLogger("tierroute.model")

SMOKE_PROMPTS = (
    "hi",
    "SELECT name FROM users WHERE id = 3; why is this slow?",
    "Prove that there are infinitely many primes.",
    "Write a Python function that merges two sorted lists. " * 20,
)


def is_alias_uri(spec: str | None) -> bool:
    return bool(spec) and str(spec).startswith("models:/") and "@" in str(spec)


def smoke_check(scorer: ComplexityScorer) -> None:
    """Raise :class:`TierrouteError` unless ``scorer`` gives one probability row per
    prompt, finite and summing to 1."""
    probs = np.asarray(scorer.score(list(SMOKE_PROMPTS)), dtype=np.float64)
    expected = (len(SMOKE_PROMPTS), len(scorer.labels))
    if probs.shape != expected:
        raise TierrouteError(f"smoke check: scores have shape {probs.shape}, expected {expected}")
    if not np.all(np.isfinite(probs)):
        raise TierrouteError("smoke check: scores contain nan or inf")
    worst = float(np.max(np.abs(probs.sum(axis=1) - 1.0)))
    if not math.isclose(worst, 0.0, abs_tol=1e-3):
        raise TierrouteError(f"smoke check: a score row sums to 1 {worst:+.3g}")


class ModelFollower:
    """Keeps the served scorer at the version ``uri`` (``models:/NAME@ALIAS``) names."""

    def __init__(
        self,
        uri: str,
        *,
        swap: Callable[[ComplexityScorer], None] | None = None,
        tracking_uri: str | None = None,
        poll_interval_s: float | None = 30.0,
        download_dir: str | Path | None = None,
        on_result: Callable[[str], None] | None = None,
    ) -> None:
        from classifier.registry import ModelRegistry

        if not is_alias_uri(uri):
            raise TierrouteError(f"{uri!r}: following needs models:/NAME@ALIAS")
        self.uri = uri
        self.registry = ModelRegistry(tracking_uri)
        self.poll_interval_s = poll_interval_s
        self.download_dir = Path(download_dir) if download_dir is not None else None
        self.version: str | None = None  # the registry version being served
        self.classifier_version = ""
        self.swaps = 0
        self.refused = 0
        self.last_error: dict[str, str] | None = None
        self.swap = swap  # serves a new scorer (raises if it cannot); set before polling
        self._on_result = on_result
        self._refused_version: str | None = None
        self._lock = threading.Lock()
        self._poller: asyncio.Task[None] | None = None

    def load_initial(self) -> ComplexityScorer:
        """Download and load what the alias names now (errors raise: nothing serves yet)."""
        version = self.registry.resolve(self.uri)
        scorer = self._load(version.uri)
        smoke_check(scorer)
        self.version, self.classifier_version = version.version, scorer.version
        return scorer

    def adopt(self, scorer: ComplexityScorer) -> None:
        """``scorer`` was loaded from the alias already: take its registry version."""
        version = self.registry.resolve(self.uri)
        if version.classifier_version in ("", scorer.version):
            self.version = version.version
        self.classifier_version = scorer.version

    def _load(self, version_uri: str) -> ComplexityScorer:
        from classifier import load_scorer

        target = self.download_dir
        if target is None:
            from classifier import local_data_dir

            target = local_data_dir() / "models"
        folder = self.registry.download(version_uri, target)
        scorer: ComplexityScorer = load_scorer(folder)
        return scorer

    def check(self) -> bool:
        """One poll: swap when the alias moved to a loadable version. Never raises."""
        with self._lock:
            try:
                found = self.registry.resolve(self.uri)
            except TierrouteError as exc:
                _log.warning("model %s: registry poll failed: %s", self.uri, exc)
                self._result("poll_error")
                return False
            if found.version in (self.version, self._refused_version):
                return False
            try:
                scorer = self._load(found.uri)
                smoke_check(scorer)
                if self.swap is None:
                    raise TierrouteError("no swap function set: cannot serve a new version")
                self.swap(scorer)
            except (TierrouteError, OSError, ValueError, RuntimeError) as exc:
                self._refuse(found.version, exc)
                return False
            previous, self.version = self.version, found.version
            self.classifier_version = scorer.version
            self.swaps += 1
            self.last_error = None
        _log.info("model %s: now serving v%s (%s), was v%s", self.uri, found.version,
                  scorer.version, previous)  # fmt: skip
        self._result("ok")
        return True

    def _refuse(self, version: str, exc: Exception) -> None:
        self._refused_version = version
        self.refused += 1
        self.last_error = {"version": version, "message": str(exc), "at": utc_now_iso()}
        _log.error("model %s: v%s refused, still serving v%s: %s", self.uri, version,
                   self.version, exc)  # fmt: skip
        self._result("refused")

    def _result(self, result: str) -> None:
        if self._on_result is not None:
            self._on_result(result)

    def status(self) -> dict[str, Any]:
        return {
            "model_uri": self.uri,
            "model_version": self.version,
            "model_swaps": self.swaps,
            "model_refused": self.refused,
            "last_model_error": self.last_error,
        }

    async def start(self) -> None:
        if self.poll_interval_s:
            self._poller = asyncio.create_task(self._poll(self.poll_interval_s))

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None

    async def _poll(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await asyncio.to_thread(self.check)
