"""Bad input is quarantined (file:line + reason) or its file rejected; counts add up."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from labeling import LabelConfig, run_labeling
from policies import LabelingError
from tests.labeling._records import assert_invariant, openai_record, quarantined, write_jsonl

BAD = [
    (b'{"request": {"messages": [{"role": "user", "content": "Hi', "invalid JSON"),
    (b'{"request": {"messages": "hi"}, "response": {"choices": 5}}', "wrong type"),
    (b'{"response": {"choices": []}}', "missing field: request"),
    (b'{"request": {"messages": [{"role": "user", "content": "caf\xe9"}]}}', "invalid UTF-8"),
    (
        b'{"request": {"messages": [{"role": "user", "content": "x"}]}, "response": {}, '
        b'"feedback": 3}',
        "wrong type: feedback",
    ),
    (b'"just a string"', "wrong type: record"),
]


@pytest.mark.parametrize(("line", "reason"), BAD, ids=[r for _, r in BAD])
def test_bad_record_is_quarantined_with_line_and_reason(
    tmp_path: Path, line: bytes, reason: str
) -> None:
    good = openai_record("What is two plus two?")
    path = write_jsonl(tmp_path / "log.jsonl", [good, line, good])
    result = run_labeling([path], tmp_path / "out")
    (entry,) = quarantined(tmp_path / "out")
    assert entry["file"] == str(path) and entry["line"] == 2
    assert entry["reason"].startswith(reason)
    assert result.card["counts"]["quarantined"] == 1
    assert result.card["counts"]["input_records"] == 3
    assert result.card["counts"]["duplicates"] == 1
    assert_invariant(result.card)


def test_record_over_the_size_limit_is_quarantined(tmp_path: Path) -> None:
    huge = openai_record("x " * (25 * 1024 * 1024))  # ~50 MB on one line
    path = write_jsonl(tmp_path / "log.jsonl", [openai_record("small one"), huge])
    result = run_labeling([path], tmp_path / "out", LabelConfig(max_record_bytes=1 << 20))
    (entry,) = quarantined(tmp_path / "out")
    assert (entry["line"], entry["reason"].split(":")[0]) == (2, "record too large")
    assert result.card["counts"]["labeled_groups"] == 1
    assert_invariant(result.card)


def test_empty_file_is_rejected_and_the_run_goes_on(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    good = write_jsonl(tmp_path / "good.jsonl", [openai_record("hello there")])
    result = run_labeling([empty, good], tmp_path / "out")
    (entry,) = quarantined(tmp_path / "out")
    assert (entry["file"], entry["scope"], entry["reason"]) == (str(empty), "file", "empty file")
    assert result.card["rejected_files"] == 1
    assert_invariant(result.card)


def test_gzip_input_is_read_transparently(tmp_path: Path) -> None:
    plain = write_jsonl(tmp_path / "p.jsonl", [openai_record("a"), openai_record("b")])
    zipped = tmp_path / "z.jsonl.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    result = run_labeling([zipped], tmp_path / "out")
    assert result.card["counts"]["labeled_groups"] == 2


def test_unrecognised_file_is_rejected_with_reason(tmp_path: Path) -> None:
    odd = write_jsonl(tmp_path / "odd.jsonl", [{"hello": "world"}])
    good = write_jsonl(tmp_path / "good.jsonl", [openai_record("hello there")])
    result = run_labeling([odd, good], tmp_path / "out")
    (entry,) = quarantined(tmp_path / "out")
    assert "cannot detect the log format" in entry["reason"]
    assert_invariant(result.card)


def test_only_bad_input_fails_the_run_as_a_whole(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [openai_record("x"), b"{not json"])
    with pytest.raises(LabelingError, match="no usable records"):
        run_labeling([bad], tmp_path / "out", LabelConfig(format="litellm"))


def test_missing_input_raises(tmp_path: Path) -> None:
    with pytest.raises(LabelingError, match="input not found"):
        run_labeling([tmp_path / "nope.jsonl"], tmp_path / "out")
