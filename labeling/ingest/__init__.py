"""Reading logs into the normalized record schema: adapters, per-record parsers, bounded
(plain or gzip) line reading, the quarantine file, and THE decision-log reader.

    >>> from labeling.ingest import read_decision_log
    >>> contents = read_decision_log(".tierroute/decisions/decisions.jsonl")
    >>> len(contents.decisions), contents.bad_lines
"""

from __future__ import annotations

from labeling.ingest._adapters import ADAPTERS, Adapter, Batch, ReadContext, detect_format
from labeling.ingest._decision_log import (
    MAX_RECORD_BYTES,
    BadLine,
    DecisionLogContents,
    log_files,
    read_decision_log,
)
from labeling.ingest._reader import (
    Quarantine,
    RecordError,
    UnreadableInput,
    expand_inputs,
    iter_blocks,
    iter_lines,
)
from labeling.ingest._schema import FEEDBACK_SCHEMA, RECORD_SCHEMA, TierMap

__all__ = [
    "ADAPTERS",
    "FEEDBACK_SCHEMA",
    "MAX_RECORD_BYTES",
    "RECORD_SCHEMA",
    "Adapter",
    "BadLine",
    "Batch",
    "DecisionLogContents",
    "Quarantine",
    "ReadContext",
    "RecordError",
    "TierMap",
    "UnreadableInput",
    "detect_format",
    "expand_inputs",
    "iter_blocks",
    "iter_lines",
    "log_files",
    "read_decision_log",
]
