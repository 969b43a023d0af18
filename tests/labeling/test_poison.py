"""Poisoned input never loses a run: deep nesting, broken gzip, directories, cancelled
requests. Each case: the rest is labeled, the bad part is quarantined with a reason,
the count invariant holds and the CLI exits 0."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from labeling import LabelConfig, run_labeling
from router import Attempt, DecisionRecord
from serving import app as cli
from tests.labeling._records import assert_invariant, openai_record, quarantined, write_jsonl

DEPTH = 200_000  # ~0.4 MB of brackets: far past any recursion limit


@pytest.mark.parametrize(
    "poison",
    [
        b'{"request": ' + b"[" * DEPTH + b"]" * DEPTH + b"}",
        b'{"request": {"messages": [{"role": "user", "content": "hi"}]}, "response": '
        + b'{"a":' * DEPTH
        + b"1"
        + b"}" * DEPTH
        + b"}",
    ],
    ids=["nested-list", "nested-object"],
)
@pytest.mark.parametrize("fmt", ["auto", "openai", "decisions"])
def test_a_deeply_nested_record_is_quarantined_not_a_crash(
    tmp_path: Path, poison: bytes, fmt: str
) -> None:
    if fmt == "decisions":
        good: list[dict[str, Any] | bytes] = [_decision("a", "ok").encode(), poison]
    else:
        good = [openai_record("What is two plus two?"), poison, openai_record("Name a color")]
    path = write_jsonl(tmp_path / "log.jsonl", good)
    result = run_labeling([path], tmp_path / "out", LabelConfig(format=fmt))
    (entry,) = quarantined(tmp_path / "out")
    assert entry["line"] == 2 and entry["reason"].startswith("invalid JSON")
    assert "nested too deeply" in entry["reason"]
    assert result.card["counts"]["labeled_groups"] >= 1
    assert_invariant(result.card)


def _decision(rid: str, status: str) -> str:
    attempt = Attempt("openai/mistral-7b-chat", "small", "primary", "ok", 12.0)
    record = DecisionRecord(
        rid, "2026-10-01T12:00:00Z", "0" * 64, {"tier": "small"}, (attempt,), status,  # type: ignore[arg-type]
        prompt=f"prompt {rid}", response="Paris." if status == "ok" else None,
        final_model="openai/mistral-7b-chat", final_tier="small",
    )  # fmt: skip
    return record.to_json()


def _gzip_lines(n: int) -> bytes:
    lines = [json.dumps(openai_record(f"Question number {i}?")) for i in range(n)]
    return gzip.compress(("\n".join(lines) + "\n").encode())


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_broken_gzip_labels_what_it_can_and_quarantines_the_rest(
    tmp_path: Path, damage: str
) -> None:
    data = _gzip_lines(400)
    if damage == "truncated":
        data = data[: len(data) * 2 // 3]
    else:  # bytes flipped in the middle of the deflate stream
        middle = len(data) // 2
        data = (
            data[:middle]
            + bytes(b ^ 0xFF for b in data[middle : middle + 64])
            + data[middle + 64 :]
        )
    path = tmp_path / "log.jsonl.gz"
    path.write_bytes(data)
    good = write_jsonl(tmp_path / "good.jsonl", [openai_record("A separate file")])
    result = run_labeling([path, good], tmp_path / "out")
    counts = result.card["counts"]
    unreadable = [e for e in quarantined(tmp_path / "out") if "unreadable" in e["reason"]]
    assert len(unreadable) == 1 and unreadable[0]["file"] == str(path)
    assert "compressed" in unreadable[0]["reason"]
    assert 1 < counts["labeled_groups"] < 401  # the readable part and the other file
    assert_invariant(result.card)


def test_a_directory_input_reads_the_log_files_in_it(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / "2026-10").mkdir(parents=True)
    write_jsonl(logs / "a.jsonl", [openai_record("first prompt")])
    write_jsonl(logs / "2026-10" / "b.jsonl", [openai_record("second prompt")])
    (logs / "c.jsonl.gz").write_bytes(gzip.compress(json.dumps(openai_record("third")).encode()))
    (logs / "README.md").write_text("not a log", encoding="utf-8")
    (logs / ".hidden.jsonl").write_text("{broken", encoding="utf-8")
    result = run_labeling([logs], tmp_path / "out")
    assert result.card["counts"]["input_records"] == 3
    assert result.card["counts"]["labeled_groups"] == 3
    assert result.card["rejected_files"] == 0
    assert_invariant(result.card)


def test_cancelled_requests_are_quarantined_not_labeled(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_text(_decision("a", "ok") + "\n" + _decision("b", "cancelled") + "\n", "utf-8")
    result = run_labeling([path], tmp_path / "out")
    (entry,) = quarantined(tmp_path / "out")
    assert entry["line"] == 2 and entry["reason"].startswith("cancelled")
    assert result.card["counts"]["labeled_groups"] == 1
    assert_invariant(result.card)


def test_the_cli_exits_0_with_counts_on_poisoned_input(tmp_path: Path) -> None:
    nested = write_jsonl(
        tmp_path / "nested.jsonl",
        [openai_record("ok one"), b'{"a": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"],
    )
    truncated = tmp_path / "t.jsonl.gz"
    data = _gzip_lines(200)
    truncated.write_bytes(data[: len(data) // 2])
    result = CliRunner().invoke(
        cli, ["label", str(nested), str(truncated), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert "quarantined" in result.output
