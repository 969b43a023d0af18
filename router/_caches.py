"""The detectors' per-text caches, cleared together (a benchmark's "new request")."""

from __future__ import annotations

from router._sql import _verdicts
from router._sql_context_vocab import sets_other_task
from router._textscan import word_starts, words_of

__all__ = ["clear_detector_caches"]


def clear_detector_caches() -> None:
    """Forget every cached word set, SQL verdict and system-prompt task: the next scan
    starts cold."""
    for cached in (words_of, word_starts, _verdicts, sets_other_task):
        cached.cache_clear()
