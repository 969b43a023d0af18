"""Test doubles shared across the test tree, and the one polling helper.

- scorers (each satisfies ``router.ComplexityScorer``): :class:`FixedScorer` (the same
  probabilities for every text), :class:`StubScorer` (complexity written in the prompt),
  :class:`VaryingScorer` (a different vector per prompt), :class:`BlockingScorer`
  (holds a batch until released);
- the completion side: :class:`FakeBackends` (answers per model group, injected as the
  service's completion callable), :func:`reply`, :class:`UpstreamError`, and an
  in-process service on them (:func:`make_client`, :func:`records`);
- :class:`FakeJudge`: an LLM judge that votes "frontier" unless the prompt says "skip";
- :func:`wait_until` / :func:`await_until`: poll a condition until it holds, failing
  the test with what it waited for.

Test modules import from here (or from a ``_helpers`` module beside them), never from
another test module.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from router import ComplexityScorer, DecisionRecord

T = TypeVar("T")
TIERS = ("small", "medium", "frontier")

# --- scorers ---------------------------------------------------------------------------


class FixedScorer:
    """The same tier probabilities for every text."""

    def __init__(
        self,
        probs: Sequence[float] = (1.0, 0.0, 0.0),
        labels: Sequence[str] = TIERS,
        version: str = "fixed-1",
    ) -> None:
        self._probs = np.asarray(probs, dtype=np.float64)
        self._labels = tuple(labels)
        self._version = version

    @property
    def version(self) -> str:
        return self._version

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        return np.tile(self._probs, (len(texts), 1))


_D = re.compile(r"d=([0-9.]+)")


class StubScorer:
    """Complexity read from the prompt: ``d=0.37`` scores (1-d)^2, 2d(1-d), d^2, whose
    expected tier position is exactly d (no ``d=``: 0, surely small)."""

    version = "stub-1"
    labels = TIERS

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        rows = []
        for text in texts:
            match = _D.search(text)
            d = float(match.group(1)) if match else 0.0
            rows.append([(1 - d) ** 2, 2 * d * (1 - d), d**2])
        return np.array(rows, dtype=np.float64)


class VaryingScorer:
    """A different (deterministic) probability vector for every prompt."""

    version = "varying-test"
    labels = TIERS

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        rows = []
        for text in texts:
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
            raw = np.random.default_rng(seed).random(3) + 0.01
            rows.append(raw / raw.sum())
        return np.array(rows)


class BlockingScorer:
    """Wraps ``inner``; a batch (more than one text) waits until :attr:`release` is set
    (at most ``hang_guard_s``), so a test controls how long scoring takes."""

    def __init__(self, inner: ComplexityScorer, hang_guard_s: float = 30.0) -> None:
        self.inner = inner
        self.hang_guard_s = hang_guard_s
        self.started = threading.Event()
        self.release = threading.Event()
        self.version, self.labels = inner.version, inner.labels

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        if len(texts) > 1:
            self.started.set()
            self.release.wait(self.hang_guard_s)
        return self.inner.score(texts)


# --- backends --------------------------------------------------------------------------

# the litellm model groups of the default policy's deployments
SMALL_SPEC, SMALL = "tierroute:small:0", "tierroute:small:1"
MEDIUM_SPEC, MEDIUM = "tierroute:medium:0", "tierroute:medium:1"
FRONTIER = "tierroute:frontier:0"


class UpstreamError(Exception):
    """What a provider raises: carries an HTTP ``status_code`` like litellm's errors."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"upstream said {status_code}")
        self.status_code = status_code


def reply(text: str, finish: str = "stop") -> dict[str, Any]:
    """An OpenAI chat completion body answering ``text``."""
    return {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
    }


Behaviour = dict[str, Any] | BaseException | Callable[[], Any]


class FakeBackends:
    """The completion callable: answers per model group with a reply dict, an exception
    to raise, or a callable returning either (default: a fine answer naming the group).
    Records each call's group and parameters."""

    def __init__(self, behaviour: dict[str, Behaviour]) -> None:
        self.behaviour = behaviour
        self.calls: list[str] = []
        self.params: list[dict[str, Any]] = []

    async def __call__(self, *, model: str, messages: list[Any], **params: Any) -> Any:
        self.calls.append(model)
        self.params.append(params)
        what = self.behaviour.get(model, reply(f"fine answer from {model}"))
        if isinstance(what, BaseException):
            raise what
        if callable(what):
            what = what()
        if params.get("stream"):
            return _as_stream(what)
        return what


async def _as_stream(body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    choice = body["choices"][0]
    yield {"choices": [{"delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    for word in choice["message"]["content"].split(" "):
        yield {"choices": [{"delta": {"content": word + " "}, "finish_reason": None}]}
    yield {"choices": [{"delta": {}, "finish_reason": choice["finish_reason"]}]}
    yield {"choices": [], "usage": body["usage"]}


# --- the service in-process ------------------------------------------------------------

HELLO = [{"role": "user", "content": "Say hello in French"}]


def make_client(
    tmp_path: Path, backends: FakeBackends | None = None, **settings: Any
) -> tuple[TestClient, FakeBackends]:
    """The service on ``backends`` (a TestClient; use it as a context manager), its
    decision log in ``tmp_path``, no policy polling; ``settings`` override the rest."""
    from fastapi.testclient import TestClient

    from serving import Settings, create_app

    backends = backends or FakeBackends({})
    options: dict[str, Any] = {"decision_log": tmp_path / "decisions.jsonl", "policy_poll_s": None}
    app = create_app(Settings(**(options | settings)), completion=backends)
    return TestClient(app), backends


def records(tmp_path: Path) -> list[DecisionRecord]:
    """The decision records :func:`make_client`'s service wrote (no torn lines)."""
    from serving import read_decision_log

    contents = read_decision_log(tmp_path / "decisions.jsonl")
    assert not contents.bad_lines
    return contents.decisions


# --- waiting ---------------------------------------------------------------------------


def wait_until(
    condition: Callable[[], T], what: str, *, timeout_s: float = 30.0, interval_s: float = 0.05
) -> T:
    """Call ``condition`` until it returns something truthy, and return that; fail the
    test with "timed out after N s waiting for WHAT" when ``timeout_s`` runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


async def await_until(
    condition: Callable[[], T], what: str, *, timeout_s: float = 30.0, interval_s: float = 0.02
) -> T:
    """:func:`wait_until` inside an event loop (sleeps with ``asyncio.sleep``, so the
    tasks being waited on keep running)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(interval_s)


@dataclass(frozen=True)
class JudgeVerdict:
    prompt_sha256: str
    tier: str | None
    confidence: float
    cost_usd: float
    cached: bool


class FakeJudge:
    """What ``labeling.JudgeLike`` asks of a judge, with a cost per prompt."""

    def __init__(self) -> None:
        self.total_cost_usd, self.calls, self.cache_hits = 0.0, 0, 0
        self.seen: list[str] = []

    def judge(self, prompts: list[str]) -> list[JudgeVerdict]:
        self.seen.extend(prompts)
        self.calls += len(prompts)
        self.total_cost_usd += 0.001 * len(prompts)
        return [
            JudgeVerdict("", None if "skip" in p else "frontier", 0.95, 0.001, False)
            for p in prompts
        ]
