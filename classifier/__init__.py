"""Complexity classifiers: the TF-IDF baseline now; training, ONNX and registry later.

Importing this package stays light (numpy only); training code imports scikit-learn
and torch inside the functions that need them.
"""

from __future__ import annotations

from classifier._contract import LABEL_COLUMNS, REQUIRED_LABEL_COLUMNS, SPLITS
from classifier._routerbench import (
    ROUTERBENCH_TIER_MODELS,
    RouterBenchRow,
    cheapest_sufficient_tier,
    read_routerbench,
    shared_data_dir,
)
from classifier._tfidf import DEFAULT_TFIDF_PATH, TfidfScorer
from classifier._tfidf_train import TfidfTrainer, train_routerbench_baseline

__all__ = [
    "LABEL_COLUMNS",
    "REQUIRED_LABEL_COLUMNS",
    "SPLITS",
    "DEFAULT_TFIDF_PATH",
    "ROUTERBENCH_TIER_MODELS",
    "RouterBenchRow",
    "TfidfScorer",
    "TfidfTrainer",
    "cheapest_sufficient_tier",
    "read_routerbench",
    "shared_data_dir",
    "train_routerbench_baseline",
]
