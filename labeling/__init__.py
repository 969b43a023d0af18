"""Labeling toolkit: production LLM logs -> complexity labels (``labels.parquet``).

    >>> from labeling import run_labeling
    >>> result = run_labeling([Path("examples/logs/openai_chat.jsonl")], Path("out/labels"))

Adapters (``ADAPTERS``) read OpenAI request/response logs, litellm
StandardLoggingPayload logs, tierroute decision logs and RouterBench-style outcome
tables into one schema (``RECORD_SCHEMA``); labeling functions (``LABELING_FUNCTIONS``)
vote a tier per distinct prompt; a weighted vote or a label model (``AGGREGATORS``) gives
the soft label.
``build_shared_dataset`` builds the default training set from the shared public data.
"""

from __future__ import annotations

from labeling._adapters import ADAPTERS, Adapter, Batch, ReadContext, detect_format
from labeling._aggregate import Aggregation, Aggregator, aggregate_votes, split_of
from labeling._functions import LABELING_FUNCTIONS, JudgeFunction, JudgeLike, LabelingFunction
from labeling._label_model import AGGREGATORS
from labeling._pipeline import LabelConfig, LabelResult, run_labeling
from labeling._reader import Quarantine, RecordError
from labeling._review import review_versions
from labeling._review_report import ReviewReport
from labeling._schema import FEEDBACK_SCHEMA, RECORD_SCHEMA, TierMap
from labeling._scrub import PII_PATTERNS, scrub_frame
from labeling._shared_data import SharedDataConfig, build_shared_dataset
from labeling._soft_labels import SoftLabelConfig

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
    "JudgeFunction",
    "JudgeLike",
    "LabelConfig",
    "LabelResult",
    "LabelingFunction",
    "Quarantine",
    "ReadContext",
    "RecordError",
    "ReviewReport",
    "SharedDataConfig",
    "SoftLabelConfig",
    "TierMap",
    "aggregate_votes",
    "build_shared_dataset",
    "detect_format",
    "review_versions",
    "run_labeling",
    "scrub_frame",
    "split_of",
]
