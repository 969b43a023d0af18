from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from labeling.shared._sources import SourceItem
from labeling.transfer._benchmark import SourceResult, group_sources
from labeling.transfer._run import TransferConfig, TransferReport
from labeling.transfer._summary import versus
from labeling.transfer._tier_tables import tier_columns, tier_scores, write_tier_tables
from policies import LabelingError, load_policy

POLICY = Path(__file__).resolve().parents[3] / "policies" / "default.yaml"


def _source(n: int = 40) -> list[SourceItem]:
    items = []
    for i in range(n):
        # six models by mean score: a 0, b 0.5 (weak third), d 0.75, c 1 (middle), e, f 1
        scores = {"a": 0.0, "b": float(i % 2), "c": 1.0, "d": float(i % 4 != 0)}
        scores |= {"e": 1.0, "f": 1.0}
        items.append(
            SourceItem(
                text=f"question number {i}?",
                source="toy/set",
                family="toy",
                outcomes={f"toy:{m}": v for m, v in scores.items()},
            )
        )
    return items


def test_each_tier_scores_the_mean_of_its_third_of_the_models() -> None:
    (source,) = group_sources(_source())
    scores = tier_scores(source)
    assert scores.shape == (40, 3)
    assert np.allclose(scores[:, 0], [0.5 * (i % 2) for i in range(40)])  # a, b
    assert np.allclose(scores[:, 2], 1.0)  # e, f


def test_tables_split_by_hash_and_name_their_columns_after_the_policy_tiers(
    tmp_path: Path,
) -> None:
    columns = tier_columns(load_policy(POLICY))
    assert columns == ("mistral-7b-chat", "mixtral-8x7b-chat", "gpt-4-1106-preview")
    paths = write_tier_tables(group_sources(_source()), columns, tmp_path, cap=0)
    fit, held = (pl.read_parquet(paths[h][0]) for h in ("fit", "eval"))
    assert fit.height + held.height == 40
    assert not set(fit["prompt"]) & set(held["prompt"])
    assert {"prompt", "sample_id", *columns} <= set(fit.columns)
    assert paths["fit"][0].name == "toy__set.parquet"


def test_the_cap_bounds_the_prompts_per_source(tmp_path: Path) -> None:
    paths = write_tier_tables(group_sources(_source()), ("s", "m", "f"), tmp_path, cap=10)
    assert sum(pl.read_parquet(p).height for h in paths.values() for p in h) == 10


def _result(source: str, apgr: float) -> SourceResult:
    return SourceResult(source, 100, "s", "w", 0.8, 0.6, apgr, 0.5, 0.8)


def test_versus_counts_the_sources_below_length_and_applies_the_bar() -> None:
    report = TransferReport(
        TransferConfig(),
        {
            "length": [_result("a", 0.50), _result("b", 0.50)],
            "good": [_result("a", 0.56), _result("b", 0.555)],
            "mixed": [_result("a", 0.70), _result("b", 0.48)],
        },
    )
    rows = {r.candidate: r for r in versus(report)}
    assert rows["good"].meets_bar and rows["good"].below == 0
    assert not rows["mixed"].meets_bar and rows["mixed"].below == 1
    assert rows["mixed"].worst_source == "b" and np.isclose(rows["mixed"].worst_gap, -0.02)
    with pytest.raises(LabelingError, match="baseline 'tfidf-lr'"):
        versus(report, baseline="tfidf-lr")


def test_the_quality95_policy_is_the_default_with_calibrated_thresholds() -> None:
    default = load_policy(POLICY)
    chosen = load_policy(POLICY.with_name("quality95.yaml"))
    assert chosen.calibration is not None and chosen.calibration.target == "quality=0.95"
    t = chosen.classifier.thresholds
    assert 0.0 < t["medium"] < t["frontier"] < default.classifier.thresholds["medium"]
    assert chosen.tier_names == default.tier_names
    assert chosen.overrides == default.overrides
