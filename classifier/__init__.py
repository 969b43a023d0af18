"""Complexity classifiers: the scorer protocol, the scorers, their loader, the label contract.

    >>> from classifier import load_scorer
    >>> scorer = load_scorer("default")  # or "tfidf", a folder, models:/NAME@ALIAS
    >>> scorer.score(["Prove that there are infinitely many primes."])

Subpackages, one per capability: :mod:`classifier.inference` (artifact format, ONNX and
TF-IDF scorers), :mod:`classifier.training` (torch/transformers, ONNX export + INT8),
:mod:`classifier.evaluation` (metrics, RouterBench routing quality, baselines, reports)
and :mod:`classifier.registry` (MLflow tracking, review gates, promotion).

Importing this package stays light (numpy only); training code imports scikit-learn
and torch inside the functions that need them.
"""

from __future__ import annotations

from classifier._contract import LABEL_COLUMNS, REQUIRED_LABEL_COLUMNS, SPLITS
from classifier._loader import load_scorer
from classifier._routerbench import (
    ROUTERBENCH_TIER_MODELS,
    RouterBenchRow,
    cheapest_sufficient_tier,
    read_routerbench,
)
from classifier._scorer import ComplexityScorer
from classifier._settings import DataSettings, data_settings, local_data_dir, shared_data_dir
from classifier.inference import (
    DEFAULT_MODEL_DIR,
    DEFAULT_TFIDF_PATH,
    OnnxComplexityScorer,
    TfidfScorer,
    load_default_scorer,
)

__all__ = [
    "DEFAULT_MODEL_DIR",
    "DEFAULT_TFIDF_PATH",
    "LABEL_COLUMNS",
    "REQUIRED_LABEL_COLUMNS",
    "ROUTERBENCH_TIER_MODELS",
    "SPLITS",
    "ComplexityScorer",
    "DataSettings",
    "OnnxComplexityScorer",
    "RouterBenchRow",
    "TfidfScorer",
    "cheapest_sufficient_tier",
    "data_settings",
    "load_default_scorer",
    "load_scorer",
    "local_data_dir",
    "read_routerbench",
    "shared_data_dir",
]
