"""The service's scorer: loading the one ``--model`` names, and timing its calls.

:func:`load_scorer` resolves the ``--model`` spec; :class:`TimedScorer` wraps a scorer
so every classifier call shows up in the metrics (the Router the policy reloader
builds holds the wrapper, never the bare scorer).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from router import ComplexityScorer, default_scorer
from serving._metrics import Metrics

__all__ = ["TimedScorer", "load_scorer"]


def load_scorer(spec: str | None) -> ComplexityScorer:
    """The scorer for ``--model``: an artifact directory, a TF-IDF ``.json``, ``default``,
    ``tfidf`` or ``models:/NAME@ALIAS`` (see ``classifier.load_scorer``); none = the
    router's default scorer."""
    if not spec:
        return default_scorer()
    from classifier import load_scorer as load_classifier

    scorer: ComplexityScorer = load_classifier(spec)
    return scorer


class TimedScorer:
    """Wraps a scorer so every classifier call shows up in the metrics."""

    def __init__(self, scorer: ComplexityScorer, metrics: Metrics) -> None:
        self.inner = scorer
        self.metrics = metrics

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def labels(self) -> tuple[str, ...]:
        return self.inner.labels

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        t0 = time.perf_counter()
        scores = self.inner.score(texts)
        self.metrics.observe_classifier(time.perf_counter() - t0, len(texts))
        return scores
