"""The detectors' per-text caches, cleared together (a benchmark's "new request")."""

from __future__ import annotations

from router._sql import _verdicts
from router._textscan import word_starts, words_of

__all__ = ["clear_detector_caches"]


def clear_detector_caches() -> None:
    """Forget every cached word set and SQL verdict: the next scan starts cold."""
    for cached in (words_of, word_starts, _verdicts):
        cached.cache_clear()
