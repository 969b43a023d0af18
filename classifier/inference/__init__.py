"""Scoring prompts: the artifact format, tokenization, ONNX and TF-IDF scorers.

    >>> from classifier.inference import load_artifact
    >>> scorer = load_artifact("artifacts/minilm-int8")
    >>> scorer.score(["What is 2+2?"])  # rows of tier probabilities, cheapest tier first

Light to import: numpy, onnxruntime and tokenizers only (loaded when a scorer loads).
Training writes this artifact format (:mod:`classifier.training`); the loader of model
references (``default``, ``models:/...``) is :func:`classifier.load_scorer`.
"""

from __future__ import annotations

from classifier.inference._artifact import (
    CARD_FILE,
    CONFIG_FILE,
    FP32_FILE,
    LABELS_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    ArtifactConfig,
    artifact_metadata,
    artifact_version,
    read_artifact_config,
    set_temperature,
    write_config,
)
from classifier.inference._calibration import expected_calibration_error, fit_temperature, softmax
from classifier.inference._encoding import (
    DEFAULT_CHARS_PER_TOKEN,
    DEFAULT_HEAD_FRACTION,
    encode,
    head_tail_split,
    load_tokenizer,
)
from classifier.inference._features import FEATURE_NAMES, prompt_features
from classifier.inference._head import HEAD_FILE, FeatureHead, check_blocks, head_version
from classifier.inference._load import TFIDF_FILE, load_artifact
from classifier.inference._onnx import DEFAULT_MODEL_DIR, OnnxComplexityScorer, load_default_scorer
from classifier.inference._tfidf import DEFAULT_TFIDF_PATH, TfidfScorer, encode_array

__all__ = [
    "CARD_FILE",
    "CONFIG_FILE",
    "DEFAULT_CHARS_PER_TOKEN",
    "DEFAULT_HEAD_FRACTION",
    "DEFAULT_MODEL_DIR",
    "DEFAULT_TFIDF_PATH",
    "FEATURE_NAMES",
    "FP32_FILE",
    "HEAD_FILE",
    "LABELS_FILE",
    "MODEL_FILE",
    "TFIDF_FILE",
    "TOKENIZER_FILE",
    "ArtifactConfig",
    "FeatureHead",
    "OnnxComplexityScorer",
    "TfidfScorer",
    "artifact_metadata",
    "artifact_version",
    "check_blocks",
    "encode",
    "encode_array",
    "expected_calibration_error",
    "fit_temperature",
    "head_tail_split",
    "head_version",
    "load_artifact",
    "load_default_scorer",
    "load_tokenizer",
    "prompt_features",
    "read_artifact_config",
    "set_temperature",
    "softmax",
    "write_config",
]
