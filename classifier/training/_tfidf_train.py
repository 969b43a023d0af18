"""Train the transparent TF-IDF + logistic-regression baseline scorer (scikit-learn).

The fitted vectorizer and model are written as one JSON artifact that
:class:`classifier.TfidfScorer` scores with numpy alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.inference import encode_array
from policies import ClassifierError

__all__ = ["TfidfTrainer", "train_routerbench_baseline"]


class TfidfTrainer:
    """scikit-learn-style estimator: ``fit(texts, labels)`` then ``save(path)``."""

    def __init__(
        self,
        labels: Sequence[str],
        *,
        max_features: int = 20_000,
        ngram_max: int = 2,
        min_df: int = 2,
        c: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.labels = tuple(labels)
        self.max_features = max_features
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.c = c
        self.seed = seed

    def fit(self, texts: Sequence[str], y: Sequence[str]) -> TfidfTrainer:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        unknown = sorted(set(y) - set(self.labels))
        if unknown:
            raise ClassifierError(f"labels {unknown} are not among {list(self.labels)}")
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, self.ngram_max),
            sublinear_tf=True,
            min_df=self.min_df,
            max_features=self.max_features,
            dtype=np.float64,
        )
        features = self.vectorizer_.fit_transform(texts)
        self.model_ = LogisticRegression(C=self.c, max_iter=5000, random_state=self.seed)
        self.model_.fit(features, [self.labels.index(label) for label in y])
        if list(self.model_.classes_) != list(range(len(self.labels))):
            raise ClassifierError("every label needs at least one training example")
        return self

    def predict_proba(self, texts: Sequence[str]) -> Any:
        return self.model_.predict_proba(self.vectorizer_.transform(texts))

    def to_artifact(self, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        vocabulary = [""] * len(self.vectorizer_.vocabulary_)
        for term, index in self.vectorizer_.vocabulary_.items():
            vocabulary[index] = term
        body = {
            "kind": "tfidf-logreg",
            "labels": list(self.labels),
            "ngram_max": self.ngram_max,
            "sublinear_tf": True,
            "vocabulary": vocabulary,
            "idf": encode_array(self.vectorizer_.idf_),
            "coef": encode_array(self.model_.coef_),
            "intercept": encode_array(self.model_.intercept_),
            "metadata": metadata or {},
        }
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:8]
        return {"version": f"tfidf-lr-{digest}", **body}

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_artifact(metadata)), encoding="utf-8")
        return path


def train_routerbench_baseline(out: str | Path, data_dir: Path | None = None) -> dict[str, Any]:
    """Fit the baseline on RouterBench train rows, score test rows, save the artifact.

    Labels: the cheapest of mistral-7b (small), mixtral-8x7b (medium) and GPT-4-1106
    (frontier) that answered correctly; small when none did.
    """
    from classifier._routerbench import cheapest_sufficient_tier, read_routerbench

    labels = ("small", "medium", "frontier")
    train = list(read_routerbench("train", data_dir))
    test = list(read_routerbench("test", data_dir))
    trainer = TfidfTrainer(labels).fit(
        [r.prompt for r in train], [cheapest_sufficient_tier(r) for r in train]
    )
    truth = np.array([labels.index(cheapest_sufficient_tier(r)) for r in test])
    predicted = trainer.predict_proba([r.prompt for r in test]).argmax(axis=1)
    majority = np.bincount(truth, minlength=len(labels)).max() / len(truth)
    metrics = {
        "train_rows": len(train),
        "test_rows": len(test),
        "test_accuracy": round(float((predicted == truth).mean()), 4),
        "test_majority_class_accuracy": round(float(majority), 4),
    }
    metadata = {"data": "routerbench train (arc-challenge, mbpp, winogrande)", **metrics}
    trainer.save(out, metadata)
    return metrics
