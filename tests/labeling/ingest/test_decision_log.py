"""THE decision-log reader: bounded lines and gzip (shared with the labeling adapter)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from labeling.ingest import read_decision_log
from router import FeedbackRecord


def _feedback(index: int) -> str:
    return FeedbackRecord(f"req-{index}", "2026-01-01T00:00:00+00:00", 1).to_json()


def test_gzip_rotated_file_is_read_before_the_live_one(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    with gzip.open(tmp_path / "decisions.jsonl.1", "wt") as handle:
        handle.write(_feedback(0) + "\n")
    path.write_text(_feedback(1) + "\n")
    contents = read_decision_log(path)
    assert [r.request_id for r in contents.records] == ["req-0", "req-1"]
    assert contents.bad_lines == []


def test_an_oversized_line_is_reported_and_the_next_one_read(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    huge = json.dumps({"type": "feedback", "request_id": "x" * 5000})
    path.write_text(huge + "\n" + _feedback(2) + "\n")
    contents = read_decision_log(path, max_record_bytes=1000)
    assert [r.request_id for r in contents.records] == ["req-2"]
    [bad] = contents.bad_lines
    assert (bad.line, bad.reason, bad.torn) == (1, "record too large: over 1000 bytes", False)


def test_damaged_gzip_keeps_the_lines_before_the_damage(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl.gz"
    lines = (
        _feedback(i).replace("req-", f"req-{hashlib.sha256(bytes(i)).hexdigest()}-")
        for i in range(20_000)
    )
    data = gzip.compress("".join(line + "\n" for line in lines).encode())
    path.write_bytes(data[: len(data) // 2])
    contents = read_decision_log(path, rotated=False)
    assert 0 < len(contents.records) < 20_000
    assert contents.bad_lines[-1].reason.startswith("unreadable compressed data")
