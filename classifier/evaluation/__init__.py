"""Evaluating a classifier: classification metrics, routing quality (APGR, CPT) on
RouterBench, baselines trained on the same split, the report and its plots.

    >>> from classifier.evaluation import evaluate_model
    >>> report = evaluate_model("artifacts/minilm-int8", "build/labels/labels.parquet")
"""

from __future__ import annotations

from classifier._metrics import ClassificationMetrics, classification_metrics, reliability_bins
from classifier.evaluation._baselines import BASELINES, Baseline, BaselineData, Candidate
from classifier.evaluation._evaluate import LabeledSplit, evaluate_model, read_label_split
from classifier.evaluation._plots import save_plots, write_plots, write_report
from classifier.evaluation._report import (
    EvaluationReport,
    RoutingInfo,
    ScorerResult,
    model_card_sections,
)
from classifier.evaluation._routing import (
    RoutingCurve,
    RoutingSummary,
    RoutingTable,
    apgr,
    cpt,
    curve_points,
    load_routerbench_table,
    prompt_text,
    routing_curve,
    routing_table,
    share_reaching,
    strong_scores,
    summarize_routing,
)

__all__ = [
    "BASELINES",
    "Baseline",
    "BaselineData",
    "Candidate",
    "ClassificationMetrics",
    "EvaluationReport",
    "LabeledSplit",
    "RoutingCurve",
    "RoutingInfo",
    "RoutingSummary",
    "RoutingTable",
    "ScorerResult",
    "apgr",
    "classification_metrics",
    "cpt",
    "curve_points",
    "evaluate_model",
    "load_routerbench_table",
    "model_card_sections",
    "prompt_text",
    "read_label_split",
    "reliability_bins",
    "routing_curve",
    "routing_table",
    "save_plots",
    "share_reaching",
    "strong_scores",
    "summarize_routing",
    "write_plots",
    "write_report",
]
