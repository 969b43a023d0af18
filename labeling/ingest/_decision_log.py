"""Reading the decision log back: every good record, and every bad line reported.

A torn last line (the writer crashed mid-line) is skipped and reported with
``torn=True``; a torn line in the middle (the writer restarted after a crash and began a
new line) is reported like any other invalid line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from router import DecisionRecord, FeedbackRecord, parse_log_record

__all__ = ["BadLine", "DecisionLogContents", "log_files", "read_decision_log"]

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


def read_decision_log(path: str | Path, *, rotated: bool = True) -> DecisionLogContents:
    """Every good record of the log (rotated files first); bad lines are reported."""
    records: list[LogRecord] = []
    bad: list[BadLine] = []
    for file in log_files(path) if rotated else [Path(path)]:
        for number, raw, terminated in _lines(file):
            try:
                obj = json.loads(raw)
                if not isinstance(obj, dict):
                    raise ValueError("expected a JSON object")
                records.append(parse_log_record(obj))
            except (ValueError, UnicodeDecodeError) as exc:
                bad.append(BadLine(file, number, str(exc), torn=not terminated))
    return DecisionLogContents(records, bad)


def _lines(file: Path) -> Iterator[tuple[int, bytes, bool]]:
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield number, raw, raw.endswith(b"\n")
