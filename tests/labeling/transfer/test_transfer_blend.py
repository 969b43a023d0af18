from __future__ import annotations

import numpy as np

from labeling.transfer._run import BLENDS, _rank_blend


def test_rank_blend_is_the_weighted_mean_rank_of_its_parts() -> None:
    name = "blend:length+ord"
    (a, wa), (b, wb) = BLENDS[name]
    scores = {a: np.array([1.0, 2.0, 3.0, 4.0]), b: np.array([40.0, 30.0, 20.0, 10.0])}
    # opposite orders with equal weights cancel: every prompt gets the same blended score
    out = _rank_blend(name, scores)
    assert wa == wb
    assert np.allclose(out, out[0])


def test_rank_blend_follows_the_heavier_part_and_ignores_scale() -> None:
    name = "blend:length70+ord"
    (a, _), (b, _) = BLENDS[name]
    scores = {a: np.array([1.0, 2.0, 3.0, 4.0]), b: np.array([4e6, 3e6, 2e6, 1e6])}
    out = _rank_blend(name, scores)
    assert list(np.argsort(out)) == [0, 1, 2, 3]
