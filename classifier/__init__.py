"""Complexity classifiers: TF-IDF baseline, ONNX INT8 student (export, calibration, inference).

Importing this package stays light (numpy only); training code imports scikit-learn
and torch inside the functions that need them.
"""

from __future__ import annotations

from classifier._artifact import set_temperature
from classifier._calibration import expected_calibration_error, fit_temperature, softmax
from classifier._contract import LABEL_COLUMNS, REQUIRED_LABEL_COLUMNS, SPLITS
from classifier._encoding import encode, load_tokenizer
from classifier._evaluate import evaluate_model, read_label_split
from classifier._evaluate_report import EvaluationReport, model_card_sections
from classifier._export import ParityReport, parity_check, write_artifact
from classifier._loader import load_scorer
from classifier._metrics import ClassificationMetrics, classification_metrics
from classifier._onnx import DEFAULT_MODEL_DIR, OnnxComplexityScorer, load_default_scorer
from classifier._promotion import (
    REVIEW_STATES,
    GateResult,
    PromotionRefused,
    check_gates,
    promote,
    record_review,
    rollback,
)
from classifier._registry import (
    ModelRegistry,
    RegisteredVersion,
    load_registered,
    log_training_run,
    set_alias,
)
from classifier._routerbench import (
    ROUTERBENCH_TIER_MODELS,
    RouterBenchRow,
    cheapest_sufficient_tier,
    read_routerbench,
    shared_data_dir,
)
from classifier._routing_eval import (
    RoutingCurve,
    RoutingTable,
    apgr,
    cpt,
    load_routerbench_table,
    routing_curve,
)
from classifier._tfidf import DEFAULT_TFIDF_PATH, TfidfScorer
from classifier._tfidf_train import TfidfTrainer, train_routerbench_baseline
from classifier._train import ComplexityTrainer
from classifier._train_run import TrainingReport, train_label_dataset, write_model_card

__all__ = [
    "DEFAULT_MODEL_DIR",
    "OnnxComplexityScorer",
    "ParityReport",
    "encode",
    "expected_calibration_error",
    "fit_temperature",
    "load_default_scorer",
    "load_tokenizer",
    "parity_check",
    "set_temperature",
    "softmax",
    "write_artifact",
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
    "ClassificationMetrics",
    "EvaluationReport",
    "GateResult",
    "ModelRegistry",
    "PromotionRefused",
    "RegisteredVersion",
    "RoutingCurve",
    "RoutingTable",
    "apgr",
    "classification_metrics",
    "cpt",
    "evaluate_model",
    "load_registered",
    "load_routerbench_table",
    "load_scorer",
    "log_training_run",
    "model_card_sections",
    "read_label_split",
    "routing_curve",
    "set_alias",
    "check_gates",
    "promote",
    "record_review",
    "rollback",
    "REVIEW_STATES",
    "ComplexityTrainer",
    "TrainingReport",
    "train_label_dataset",
    "write_model_card",
]
