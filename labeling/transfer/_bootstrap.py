"""Paired bootstrap of a transfer report: is a candidate's gap to a baseline real or noise?

Per held-out source, the routing rows are resampled with replacement ``n`` times; each
resample scores *every* candidate and the baseline on the same rows, so the APGR
difference ``candidate - baseline`` keeps the pairing (a candidate equal to the baseline
differs by exactly 0 on every resample). Per source the percentile interval of those
differences; a source is *significantly below* the baseline when its whole interval lies
below 0, *significantly above* when it lies above 0. The macro difference (mean over
sources) is bootstrapped from the same resamples: resample ``b`` of every source,
averaged over sources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from classifier.evaluation import RoutingTable, apgr, routing_curve
from labeling.transfer._run import HeldOut, TransferReport
from policies import LabelingError

__all__ = [
    "BootCompare",
    "SourceInterval",
    "bootstrap_to_dict",
    "paired_bootstrap",
    "source_differences",
]

Floats = NDArray[np.float64]

# redraws allowed for one resample whose strong and weak model score alike (PGR undefined)
MAX_REDRAWS = 50


@dataclass(frozen=True)
class SourceInterval:
    source: str
    diff: float  # APGR(candidate) - APGR(baseline) on the source's own rows
    low: float  # percentile interval of the resampled differences
    high: float


@dataclass(frozen=True)
class BootCompare:
    """One candidate against the baseline: per-source intervals and the macro interval."""

    candidate: str
    sources: tuple[SourceInterval, ...]
    macro_diff: float
    macro_low: float
    macro_high: float

    @property
    def below(self) -> int:
        """Sources whose interval lies wholly below 0 (significantly below the baseline)."""
        return sum(s.high < 0 for s in self.sources)

    @property
    def above(self) -> int:
        """Sources whose interval lies wholly above 0."""
        return sum(s.low > 0 for s in self.sources)


def _apgr(score: Floats, strong: Floats, weak: Floats) -> float:
    table = RoutingTable(
        prompts=("",) * len(score),
        sources=("",) * len(score),
        strong_correct=strong,
        weak_correct=weak,
        strong_cost=np.ones(len(score)),
        weak_cost=np.zeros(len(score)),
    )
    return apgr(routing_curve(score, table))


def _resample(
    rng: np.random.Generator, strong: Floats, weak: Floats, name: str
) -> NDArray[np.intp]:
    """Row indices of one resample where the pair's qualities differ (PGR is defined)."""
    n = len(strong)
    for _ in range(MAX_REDRAWS):
        idx = rng.integers(0, n, size=n)
        if abs(strong[idx].mean() - weak[idx].mean()) > 1e-12:
            return idx
    raise LabelingError(
        f"{name}: {MAX_REDRAWS} resamples in a row gave the strong and weak model the same "
        "quality; too few rows where they differ to bootstrap APGR"
    )


def source_differences(
    held: HeldOut, candidates: Sequence[str], baseline: str, n: int, rng: np.random.Generator
) -> dict[str, Floats]:
    """Per candidate, ``n`` resampled APGR differences to ``baseline`` on ``held``'s rows."""
    missing = sorted({baseline, *candidates} - set(held.scores))
    if missing:
        raise LabelingError(f"{held.source}: no held-out scores for {missing}")
    out = {c: np.empty(n) for c in candidates}
    for b in range(n):
        idx = _resample(rng, held.strong_correct, held.weak_correct, held.source)
        strong, weak = held.strong_correct[idx], held.weak_correct[idx]
        base = _apgr(held.scores[baseline][idx], strong, weak)
        for c in candidates:
            out[c][b] = _apgr(held.scores[c][idx], strong, weak) - base
    return out


def _observed(held: HeldOut, candidate: str, baseline: str) -> float:
    s, w = held.strong_correct, held.weak_correct
    return _apgr(held.scores[candidate], s, w) - _apgr(held.scores[baseline], s, w)


def paired_bootstrap(
    report: TransferReport,
    n: int,
    baseline: str = "length",
    seed: int = 0,
    level: float = 0.95,
) -> list[BootCompare]:
    """Every candidate of ``report`` but the baseline, against it (see the module docstring)."""
    if n < 1:
        raise LabelingError(f"bootstrap: n={n} resamples, expected at least 1")
    if not 0.0 < level < 1.0:
        raise LabelingError(f"bootstrap: level={level}, expected a value between 0 and 1")
    if not report.held_out:
        raise LabelingError(
            "bootstrap: the report holds no held-out rows (run_transfer keeps them)"
        )
    if baseline not in report.held_out[0].scores:
        raise LabelingError(
            f"baseline {baseline!r} is not in the report; run it with --candidates {baseline},..."
        )
    candidates = [c for c in report.held_out[0].scores if c != baseline]
    rng = np.random.default_rng(seed)
    diffs: dict[str, list[Floats]] = {c: [] for c in candidates}
    for held in report.held_out:
        for c, d in source_differences(held, candidates, baseline, n, rng).items():
            diffs[c].append(d)
    tails = (100 * (1 - level) / 2, 100 * (1 + level) / 2)
    out = []
    for c in candidates:
        per_source = []
        for held, d in zip(report.held_out, diffs[c], strict=True):
            low, high = np.percentile(d, tails)
            observed = _observed(held, c, baseline)
            per_source.append(SourceInterval(held.source, observed, float(low), float(high)))
        macro = np.mean(np.vstack(diffs[c]), axis=0)  # resample b of every source, averaged
        m_low, m_high = np.percentile(macro, tails)
        out.append(
            BootCompare(
                candidate=c,
                sources=tuple(per_source),
                macro_diff=float(np.mean([s.diff for s in per_source])),
                macro_low=float(m_low),
                macro_high=float(m_high),
            )
        )
    return out


def bootstrap_to_dict(compares: Sequence[BootCompare], n: int, level: float) -> dict[str, object]:
    """JSON-ready form for the benchmark's report file."""
    result: Mapping[str, object] = {
        c.candidate: {
            "macro_diff": c.macro_diff,
            "macro_interval": [c.macro_low, c.macro_high],
            "significantly_below": c.below,
            "significantly_above": c.above,
            "sources": {s.source: [s.diff, s.low, s.high] for s in c.sources},
        }
        for c in compares
    }
    return {"resamples": n, "level": level, "candidates": dict(result)}
