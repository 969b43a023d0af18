"""Labeling toolkit: production LLM logs -> complexity labels (``labels.parquet``).

    >>> from labeling import run_labeling
    >>> result = run_labeling([Path("examples/logs/openai_chat.jsonl")], Path("out/labels"))

Adapters (``ADAPTERS``) read OpenAI request/response logs, litellm
StandardLoggingPayload logs, tierroute decision logs and RouterBench-style outcome
tables into one schema (``RECORD_SCHEMA``); labeling functions (``LABELING_FUNCTIONS``)
vote a tier per distinct prompt; a weighted vote or a label model (``AGGREGATORS``) gives
the soft label.

Subpackages, one per capability: :mod:`labeling.ingest` (adapters, readers, THE
decision-log reader), :mod:`labeling.shared` (the default training set from the shared
public data), :mod:`labeling.replay` (replay, calibration, drift, calibrated policies),
:mod:`labeling.review` (model review report) and :mod:`labeling.transfer` (per-model
outcome sources, the leave-one-source-out transfer benchmark).
"""

from __future__ import annotations

from labeling._aggregate import Aggregation, Aggregator, aggregate_votes, split_of
from labeling._functions import (
    LABELING_FUNCTIONS,
    JudgeFunction,
    JudgeLike,
    LabelingFunction,
    clip,
)
from labeling._judge import Judge
from labeling._label_model import AGGREGATORS
from labeling._pipeline import LabelConfig, LabelResult, run_labeling
from labeling._scrub import PII_PATTERNS, scrub_frame
from labeling.ingest import (
    ADAPTERS,
    FEEDBACK_SCHEMA,
    RECORD_SCHEMA,
    Adapter,
    Batch,
    Quarantine,
    ReadContext,
    RecordError,
    TierMap,
    detect_format,
)

__all__ = [
    "ADAPTERS",
    "AGGREGATORS",
    "FEEDBACK_SCHEMA",
    "LABELING_FUNCTIONS",
    "PII_PATTERNS",
    "RECORD_SCHEMA",
    "Adapter",
    "Aggregation",
    "Aggregator",
    "Batch",
    "Judge",
    "JudgeFunction",
    "JudgeLike",
    "LabelConfig",
    "LabelResult",
    "LabelingFunction",
    "Quarantine",
    "ReadContext",
    "RecordError",
    "TierMap",
    "aggregate_votes",
    "clip",
    "detect_format",
    "run_labeling",
    "scrub_frame",
    "split_of",
]
