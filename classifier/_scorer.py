"""The scorer protocol: a batch of texts in, tier probabilities out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = ["ComplexityScorer"]


@runtime_checkable
class ComplexityScorer(Protocol):
    """Anything that scores prompt complexity.

    ``labels`` are ordinal classes, cheapest first (e.g. small, medium, frontier).
    ``score`` returns an array of shape ``(len(texts), len(labels))`` whose rows are
    probabilities (each sums to 1) that the class is the cheapest sufficient one.
    """

    @property
    def version(self) -> str: ...

    @property
    def labels(self) -> tuple[str, ...]: ...

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]: ...
