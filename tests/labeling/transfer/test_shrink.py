from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from labeling.transfer._candidates import CANDIDATES, FeatureBank, Fold
from labeling.transfer._shrink import _shrink, dataset_weights, inner_select, soft_threshold


def _bank(tmp_path: Path, struct: np.ndarray, groups: np.ndarray) -> FeatureBank:
    texts = [f"prompt {i}" for i in range(len(struct))]
    return FeatureBank(texts, groups, tmp_path, _blocks={"struct": struct})


def _confounded(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """8 sources: within each, the target rises with feature 1; across sources, sources
    with a high feature 1 have a low target (a between-source effect of the other sign)."""
    rng = np.random.default_rng(seed)
    rows, targets, groups = [], [], []
    for g in range(8):
        shift = 2.0 * g
        f1 = shift + rng.normal(size=200)
        length = rng.normal(size=200)
        y = np.clip(0.9 - 0.1 * g + 0.05 * (f1 - shift) + 0.01 * rng.normal(size=200), 0, 1)
        noise = rng.normal(size=(200, 13))
        rows.append(np.column_stack([length, f1, noise]))
        targets.append(y)
        groups.append(np.full(200, g))
    return np.vstack(rows), np.concatenate(targets), np.concatenate(groups)


def _fold(groups: np.ndarray, target: np.ndarray, held: int) -> Fold:
    test = groups == held
    return Fold(train=~test, target=target, weight=np.ones(len(target)), test=test)


def test_within_source_ridge_ranks_by_the_within_source_effect(tmp_path: Path) -> None:
    struct, target, groups = _confounded()
    bank = _bank(tmp_path, struct, groups)
    fold = _fold(groups, target, held=7)
    test = groups == 7
    fe = CANDIDATES["fe:struct"][1](bank, fold)[test]
    pooled = CANDIDATES["lr:struct"][1](bank, fold)[test]
    # the centred fit follows the within-source effect; a pooled fit learns its opposite
    assert spearmanr(fe, target[test])[0] > 0.8
    assert spearmanr(pooled, target[test])[0] < 0.0


def test_inner_selection_picks_the_useful_parameter_without_the_held_out_source(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(8), 150)
    length = rng.normal(size=len(groups))
    struct = np.column_stack([length, rng.normal(size=(len(groups), 14))])
    target = np.clip(0.5 + 0.2 * length + 0.05 * rng.normal(size=len(groups)), 0, 1)
    target[groups == 0] = np.nan  # the held-out source's target: never to be read
    bank = _bank(tmp_path, struct, groups)
    fold = _fold(groups, target, held=0)
    noise = rng.normal(size=len(groups))
    seen: list[np.ndarray] = []

    def scores(inner: Fold) -> Callable[[Any], np.ndarray]:
        seen.append(inner.train.copy())
        return lambda p: length if p == "length" else noise

    assert inner_select(bank, fold, ["noise", "length"], scores) == "length"
    assert len(seen) == 4 and not any(train[groups == 0].any() for train in seen)
    # and the whole candidate (length + a x learned) still ranks by length there
    out = _shrink("fe:struct")(bank, fold)[groups == 0]
    assert spearmanr(out, length[groups == 0])[0] > 0.95


def test_soft_threshold_ignores_unconfident_scores() -> None:
    z = np.array([-2.0, -0.5, 0.0, 0.4, 1.0, 3.0])
    assert list(soft_threshold(z, 1.0)) == [-1.0, 0.0, 0.0, 0.0, 0.0, 2.0]
    assert list(soft_threshold(z, 0.0)) == list(z)


def test_dataset_weights_give_each_dataset_and_each_of_its_sources_the_same_total() -> None:
    groups = np.array([0] * 10 + [1] * 30 + [2] * 60)
    datasets = ["a", "a", "b"]  # dataset a has two sources, b one
    w = dataset_weights(np.ones(100), groups, datasets)
    totals = [w[groups == g].sum() for g in range(3)]
    assert np.isclose(totals[0], totals[1])
    assert np.isclose(totals[0] + totals[1], totals[2])
    assert np.isclose(w.mean(), 1.0)


def test_dataset_weights_leave_zero_weights_at_zero() -> None:
    groups = np.array([0, 0, 1, 1])
    w = dataset_weights(np.array([1.0, 0.0, 1.0, 1.0]), groups, ["a", "b"])
    assert w[1] == 0.0
    assert np.isclose(w[0], w[2] + w[3])
