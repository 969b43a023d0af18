from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pytest
from numpy.typing import NDArray

from labeling.transfer._benchmark import SourceResult
from labeling.transfer._bootstrap import BootCompare, _apgr, paired_bootstrap
from labeling.transfer._run import HeldOut, TransferConfig, TransferReport
from policies import LabelingError

Floats = NDArray[np.float64]
Scorer = Callable[[np.random.Generator, Floats, Floats], Floats]


def _outcomes(rng: np.random.Generator, n: int) -> tuple[Floats, Floats]:
    strong = (rng.random(n) < 0.75).astype(float)
    weak = np.where(strong > 0, rng.random(n) < 0.6, rng.random(n) < 0.1).astype(float)
    return strong, weak


def _report(scorers: Mapping[str, Scorer], sources: int = 12, n: int = 300) -> TransferReport:
    """Synthetic report: each scorer maps (rng, strong, weak) -> scores on a source's rows."""
    rng = np.random.default_rng(7)
    held: list[HeldOut] = []
    results: dict[str, list[SourceResult]] = {name: [] for name in scorers}
    for j in range(sources):
        strong, weak = _outcomes(rng, n)
        scores = {name: np.asarray(f(rng, strong, weak), float) for name, f in scorers.items()}
        held.append(HeldOut(f"toy/{j:02d}", strong, weak, scores))
        for name, s in scores.items():
            value = _apgr(s, strong, weak)
            results[name].append(SourceResult(f"toy/{j:02d}", n, "s", "w", 0, 0, value, 0, 0))
    return TransferReport(TransferConfig(), results, tuple(held))


def _length(rng: np.random.Generator, strong: Floats, weak: Floats) -> Floats:
    return rng.random(len(strong))  # an uninformative baseline


def _oracle(rng: np.random.Generator, strong: Floats, weak: Floats) -> Floats:
    return strong - weak  # strong first exactly where it gains


def _inverted(rng: np.random.Generator, strong: Floats, weak: Floats) -> Floats:
    return weak - strong


def _noisy_oracle(rng: np.random.Generator, strong: Floats, weak: Floats) -> Floats:
    return (strong - weak) + 2 * rng.random(len(strong))


def _width(row: BootCompare) -> float:
    return float(np.mean([s.high - s.low for s in row.sources]))


def test_a_candidate_equal_to_length_differs_by_exactly_zero_on_every_resample() -> None:
    report = _report({"length": _length})
    for held in report.held_out:
        held.scores["copy"] = held.scores["length"].copy()
    (copy,) = paired_bootstrap(report, 50)
    assert copy.candidate == "copy"
    assert all(s.low == s.high == s.diff == 0.0 for s in copy.sources)  # paired, not independent
    assert copy.below == copy.above == 0
    assert copy.macro_low == copy.macro_high == 0.0


def test_an_unrelated_scorer_of_equal_skill_is_rarely_called_significant() -> None:
    report = _report({"length": _length, "other": _length}, sources=40)
    (other,) = paired_bootstrap(report, 200)
    for s in other.sources:
        assert s.low < s.high  # a real spread: the two orders differ
    assert other.below + other.above <= 6  # ~5 % of 40 sources by chance, not most of them
    assert other.macro_low < 0.0 < other.macro_high


def test_a_perfect_oracle_is_significantly_above_length_on_every_source() -> None:
    report = _report({"length": _length, "oracle": _oracle})
    (row,) = paired_bootstrap(report, 200)
    assert row.above == len(report.held_out) and row.below == 0
    assert all(s.low > 0.2 for s in row.sources)
    assert row.macro_low > 0.2
    assert row.macro_low <= row.macro_diff <= row.macro_high


def test_an_inverted_oracle_is_significantly_below_and_the_gaps_match_the_report() -> None:
    report = _report({"length": _length, "inverted": _inverted})
    (row,) = paired_bootstrap(report, 100)
    assert row.below == len(report.held_out) and row.above == 0
    base = [r.apgr for r in report.results["length"]]
    got = [r.apgr for r in report.results["inverted"]]
    assert np.allclose([s.diff for s in row.sources], np.subtract(got, base))
    assert np.isclose(row.macro_diff, np.mean(np.subtract(got, base)))


def test_more_rows_give_narrower_intervals() -> None:
    scorers = {"length": _length, "noisy": _noisy_oracle}
    small = paired_bootstrap(_report(scorers, n=100), 200)[0]
    large = paired_bootstrap(_report(scorers, n=2000), 200)[0]
    assert _width(large) < 0.5 * _width(small)  # ~ 1 / sqrt(20) of it


def test_the_same_seed_gives_the_same_intervals() -> None:
    report = _report({"length": _length, "other": _length}, sources=3)
    a, b = paired_bootstrap(report, 30, seed=3), paired_bootstrap(report, 30, seed=3)
    assert a == b


def test_bad_input_is_refused_with_what_is_wrong() -> None:
    report = _report({"length": _length, "other": _length}, sources=2)
    with pytest.raises(LabelingError, match="n=0"):
        paired_bootstrap(report, 0)
    with pytest.raises(LabelingError, match="baseline 'tfidf-lr'"):
        paired_bootstrap(report, 10, baseline="tfidf-lr")
    with pytest.raises(LabelingError, match="no held-out rows"):
        paired_bootstrap(TransferReport(TransferConfig(), report.results), 10)


def test_a_source_where_the_pair_never_differs_cannot_be_bootstrapped() -> None:
    strong = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    weak = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 0.0])  # one row apart: a third of draws tie
    scores = {"length": np.arange(6.0), "other": -np.arange(6.0)}
    held = HeldOut("toy/thin", strong, strong.copy(), scores)
    report = TransferReport(TransferConfig(), {}, (held,))
    with pytest.raises(LabelingError, match="toy/thin: 50 resamples"):
        paired_bootstrap(report, 5)
    ok = HeldOut("toy/ok", strong, weak, scores)
    (row,) = paired_bootstrap(TransferReport(TransferConfig(), {}, (ok,)), 20)
    assert len(row.sources) == 1
