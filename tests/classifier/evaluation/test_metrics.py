"""Classification metrics against hand-computed values (and scikit-learn's)."""

from __future__ import annotations

import numpy as np
import pytest

from classifier._metrics import reliability_bins
from classifier.evaluation import ClassificationMetrics, classification_metrics
from policies import ClassifierError

TIERS = ("small", "medium", "frontier")
# truth:      0    0    1    2    2
# predicted:  0    1    1    2    0   (argmax of the rows below)
# confidence: .9   .6   .7   .8   .55 (correct: yes no yes yes no)
PROBS = np.array(
    [
        [0.90, 0.05, 0.05],
        [0.30, 0.60, 0.10],
        [0.20, 0.70, 0.10],
        [0.10, 0.10, 0.80],
        [0.55, 0.15, 0.30],
    ]
)
TRUTH = np.array([0, 0, 1, 2, 2])


@pytest.fixture(scope="module")
def metrics() -> ClassificationMetrics:
    return classification_metrics(PROBS, TRUTH, TIERS, n_bins=10)


def test_accuracy_and_confusion_matrix(metrics: ClassificationMetrics) -> None:
    assert metrics.n == 5
    assert metrics.accuracy == pytest.approx(3 / 5)
    # rows: true tier, columns: predicted tier
    assert metrics.confusion == ((1, 1, 0), (0, 1, 0), (1, 0, 1))
    assert metrics.majority_accuracy == pytest.approx(2 / 5)


def test_per_tier_precision_recall_f1(metrics: ClassificationMetrics) -> None:
    small, medium, frontier = (metrics.tier(t) for t in TIERS)
    assert (small.precision, small.recall, small.f1) == pytest.approx((1 / 2, 1 / 2, 1 / 2))
    assert (medium.precision, medium.recall, medium.f1) == pytest.approx((1 / 2, 1.0, 2 / 3))
    assert (frontier.precision, frontier.recall, frontier.f1) == pytest.approx((1.0, 1 / 2, 2 / 3))
    assert [m.support for _, m in metrics.per_tier] == [2, 1, 2]
    assert metrics.macro_f1 == pytest.approx((1 / 2 + 2 / 3 + 2 / 3) / 3)


def test_matches_scikit_learn(metrics: ClassificationMetrics) -> None:
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    predicted = PROBS.argmax(axis=1)
    assert metrics.macro_f1 == pytest.approx(f1_score(TRUTH, predicted, average="macro"))
    precision, recall, f1, _ = precision_recall_fscore_support(TRUTH, predicted)
    assert [m.precision for _, m in metrics.per_tier] == pytest.approx(precision)
    assert [m.recall for _, m in metrics.per_tier] == pytest.approx(recall)


def test_ece_by_hand(metrics: ClassificationMetrics) -> None:
    # 10 bins, one row per bin: |1-.9| + |0-.6| + |1-.7| + |1-.8| + |0-.55|, each x 1/5
    assert metrics.ece == pytest.approx((0.1 + 0.6 + 0.3 + 0.2 + 0.55) / 5)
    # one wide bin: |accuracy .6 - mean confidence .71|
    coarse = classification_metrics(PROBS, TRUTH, TIERS, n_bins=2)
    assert coarse.ece == pytest.approx(abs(0.6 - np.mean([0.9, 0.6, 0.7, 0.8, 0.55])))


def test_unpredicted_absent_tier_is_left_out_of_macro_f1() -> None:
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]])
    result = classification_metrics(probs, np.array([0, 1]), TIERS)
    assert result.macro_f1 == pytest.approx(1.0)  # frontier neither true nor predicted
    assert result.tier("frontier").support == 0


def test_reliability_bins_cover_every_row() -> None:
    bins = reliability_bins(PROBS, TRUTH, n_bins=10)
    assert sum(bins.count) == 5
    assert len(bins.edges) == 11
    assert bins.accuracy[9] == 1.0 and bins.confidence[9] == pytest.approx(0.9)
    assert np.isnan(bins.accuracy[0])


def test_to_dict_is_json_ready(metrics: ClassificationMetrics) -> None:
    import json

    data = json.loads(json.dumps(metrics.to_dict()))
    assert data["per_tier"]["medium"]["recall"] == 1.0
    assert data["confusion"][2] == [1, 0, 1]


@pytest.mark.parametrize(
    ("probs", "truth", "message"),
    [
        (np.ones((2, 2)) / 2, np.array([0, 1]), "probs"),
        (PROBS, np.array([0, 1]), "truth"),
        (PROBS, np.array([0, 1, 2, 3, 0]), "tier indices"),
    ],
)
def test_bad_input_names_the_argument(probs: object, truth: object, message: str) -> None:
    with pytest.raises(ClassifierError, match=message):
        classification_metrics(probs, truth, TIERS)  # type: ignore[arg-type]
