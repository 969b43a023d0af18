"""Complexity classifiers: the scorer protocol, the scorers, their loader, the label contract.

    >>> from classifier import load_scorer
    >>> scorer = load_scorer("default")  # or "tfidf", a folder, models:/NAME@ALIAS
    >>> scorer.score(["Prove that there are infinitely many primes."])

Subpackages, one per capability: :mod:`classifier.inference` (artifact format, ONNX and
TF-IDF scorers), :mod:`classifier.training` (torch/transformers, ONNX export + INT8),
:mod:`classifier.evaluation` (metrics, RouterBench routing quality, baselines, reports)
and :mod:`classifier.registry` (MLflow tracking, review gates, promotion).

Importing this package stays light (numpy only; the polars-typed label contract loads
on first use); training code imports scikit-learn and torch inside the functions that
need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from classifier._loader import load_scorer
from classifier._minilm import minilm_dir
from classifier._routerbench import (
    ROUTERBENCH_TIER_MODELS,
    RouterBenchRow,
    cheapest_sufficient_tier,
    read_routerbench,
)
from classifier._scorer import ComplexityScorer
from classifier._settings import (
    LITELLM_ENV_DEFAULTS,
    DataSettings,
    data_settings,
    litellm_env_defaults,
    local_data_dir,
    shared_data_dir,
)
from classifier.inference import (
    DEFAULT_MODEL_DIR,
    DEFAULT_TFIDF_PATH,
    OnnxComplexityScorer,
    TfidfScorer,
    load_default_scorer,
)

if TYPE_CHECKING:
    from classifier._contract import (
        LABEL_COLUMNS,
        LABEL_CONTRACT_VERSION,
        LABEL_SCHEMA,
        REQUIRED_LABEL_COLUMNS,
        SPLITS,
        LabelMetadata,
        label_metadata,
        read_label_metadata,
        write_label_parquet,
    )

__all__ = [
    "DEFAULT_MODEL_DIR",
    "DEFAULT_TFIDF_PATH",
    "LABEL_COLUMNS",
    "LABEL_CONTRACT_VERSION",
    "LABEL_SCHEMA",
    "LITELLM_ENV_DEFAULTS",
    "REQUIRED_LABEL_COLUMNS",
    "ROUTERBENCH_TIER_MODELS",
    "SPLITS",
    "ComplexityScorer",
    "DataSettings",
    "LabelMetadata",
    "OnnxComplexityScorer",
    "RouterBenchRow",
    "TfidfScorer",
    "cheapest_sufficient_tier",
    "data_settings",
    "label_metadata",
    "litellm_env_defaults",
    "load_default_scorer",
    "load_scorer",
    "local_data_dir",
    "minilm_dir",
    "read_label_metadata",
    "read_routerbench",
    "shared_data_dir",
    "write_label_parquet",
]

# The label contract declares polars dtypes: loaded on first use, so that importing
# classifier (and router, which imports it) does not import polars.
_CONTRACT = frozenset(
    {
        "LABEL_COLUMNS",
        "LABEL_CONTRACT_VERSION",
        "LABEL_SCHEMA",
        "REQUIRED_LABEL_COLUMNS",
        "SPLITS",
        "LabelMetadata",
        "label_metadata",
        "read_label_metadata",
        "write_label_parquet",
    }
)


def __getattr__(name: str) -> Any:
    if name not in _CONTRACT:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    from classifier import _contract

    value = getattr(_contract, name)
    globals()[name] = value
    return value
