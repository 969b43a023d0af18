"""Reading the decision log back: every good record, and every bad line reported.

THE decision-log reader: rotated files (``decisions.jsonl.2``, ``.1``, then the live
file), lines bounded in size and gzip read transparently (the same line reader,
:func:`labeling.ingest._reader.iter_lines`, feeds the ``decisions`` labeling adapter).
The record shape is owned by ``router`` (:func:`router.parse_log_record`).

A torn last line (the writer crashed mid-line) is skipped and reported with
``torn=True``; a torn line in the middle (the writer restarted after a crash and began a
new line) is reported like any other invalid line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from labeling.ingest._reader import UnreadableInput, iter_lines
from router import DecisionRecord, FeedbackRecord, parse_log_record

__all__ = [
    "MAX_RECORD_BYTES",
    "BadLine",
    "DecisionLogContents",
    "log_files",
    "read_decision_log",
]

MAX_RECORD_BYTES = 8 << 20  # a longer line is reported, not parsed

LogRecord = DecisionRecord | FeedbackRecord


@dataclass(frozen=True)
class BadLine:
    """A line that is not a valid record. ``torn``: the file's last line, unterminated."""

    file: Path
    line: int
    reason: str
    torn: bool = False


@dataclass(frozen=True)
class DecisionLogContents:
    records: list[LogRecord]
    bad_lines: list[BadLine]

    @property
    def decisions(self) -> list[DecisionRecord]:
        return [r for r in self.records if isinstance(r, DecisionRecord)]


def log_files(path: str | Path) -> list[Path]:
    """``path`` and its rotated files, oldest first."""
    path = Path(path)
    rotated: list[tuple[int, Path]] = []
    for candidate in path.parent.glob(f"{path.name}.*"):
        suffix = candidate.name[len(path.name) + 1 :]
        if suffix.isdigit():
            rotated.append((int(suffix), candidate))
    files = [p for _, p in sorted(rotated, reverse=True)]
    return [*files, path] if path.exists() else files


def read_decision_log(
    path: str | Path, *, rotated: bool = True, max_record_bytes: int = MAX_RECORD_BYTES
) -> DecisionLogContents:
    """Every good record of the log (rotated files first); bad lines are reported."""
    records: list[LogRecord] = []
    bad: list[BadLine] = []
    for file in log_files(path) if rotated else [Path(path)]:
        try:
            for number, raw in iter_lines(file, max_record_bytes):
                if raw is None:
                    bad.append(
                        BadLine(file, number, f"record too large: over {max_record_bytes} bytes")
                    )
                elif raw.strip():
                    _parse_into(records, bad, file, number, raw)
        except UnreadableInput as exc:
            bad.append(BadLine(file, exc.line, exc.reason))
    return DecisionLogContents(records, bad)


def _parse_into(
    records: list[LogRecord], bad: list[BadLine], file: Path, number: int, raw: bytes
) -> None:
    try:
        obj = json.loads(raw)
        if not isinstance(obj, dict):
            raise ValueError("expected a JSON object")
        records.append(parse_log_record(obj))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        bad.append(BadLine(file, number, str(exc), torn=not raw.endswith(b"\n")))
