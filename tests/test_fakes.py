"""The shared test helpers do what the tests rely on."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from router import ComplexityScorer
from tests.fakes import (
    BlockingScorer,
    FixedScorer,
    StubScorer,
    VaryingScorer,
    await_until,
    wait_until,
)


def test_wait_until_returns_the_first_truthy_value_and_names_what_timed_out() -> None:
    counter = itertools.count()
    assert wait_until(lambda: next(counter) >= 3 and "done", "three polls", interval_s=0) == "done"
    with pytest.raises(AssertionError, match="waiting for the impossible"):
        wait_until(lambda: False, "the impossible", timeout_s=0.05, interval_s=0.01)
    with pytest.raises(AssertionError, match="waiting for never"):
        asyncio.run(await_until(lambda: None, "never", timeout_s=0.05, interval_s=0.01))


def test_fake_scorers_satisfy_the_scorer_protocol() -> None:
    scorers = [FixedScorer(), StubScorer(), VaryingScorer(), BlockingScorer(FixedScorer())]
    for scorer in scorers:
        assert isinstance(scorer, ComplexityScorer)
        probs = scorer.score(["hi d=0.5"])
        assert probs.shape == (1, 3) and abs(float(probs.sum()) - 1.0) < 1e-9
    assert StubScorer().score(["d=0.5"]).tolist() == [[0.25, 0.5, 0.25]]
