"""One line per candidate of a transfer report, against a baseline (the shipping bar).

The bar of issue 13: a candidate ships as the default only with macro APGR at least the
baseline's (prompt length) + :data:`MACRO_MARGIN` and no held-out source more than
:data:`SOURCE_MARGIN` below the baseline on that source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labeling.transfer._run import TransferReport
from policies import LabelingError

__all__ = ["MACRO_MARGIN", "SOURCE_MARGIN", "Versus", "versus"]

MACRO_MARGIN = 0.05
SOURCE_MARGIN = 0.01


@dataclass(frozen=True)
class Versus:
    candidate: str
    macro: float
    below: int  # sources below baseline - SOURCE_MARGIN
    worst_source: str
    worst_gap: float  # candidate - baseline on the worst source
    meets_bar: bool


def versus(report: TransferReport, baseline: str = "length", metric: str = "apgr") -> list[Versus]:
    """Every candidate of ``report`` (the baseline too) against ``baseline``, per source."""
    if baseline not in report.results:
        raise LabelingError(
            f"baseline {baseline!r} is not in the report; run it with --candidates {baseline},..."
        )
    base = np.array([getattr(r, metric) for r in report.results[baseline]])
    out = []
    for name, rows in report.results.items():
        values = np.array([getattr(r, metric) for r in rows])
        gaps = values - base
        worst = int(np.argmin(gaps))
        macro = float(values.mean())
        below = int((gaps < -SOURCE_MARGIN - 1e-12).sum())
        out.append(
            Versus(
                candidate=name,
                macro=macro,
                below=below,
                worst_source=rows[worst].source,
                worst_gap=float(gaps[worst]),
                meets_bar=below == 0 and macro >= float(base.mean()) + MACRO_MARGIN - 1e-12,
            )
        )
    return out
