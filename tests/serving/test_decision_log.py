"""The decision log: durable appends, redaction, rotation, torn lines, labeling reads it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from labeling import ADAPTERS, Quarantine, ReadContext, TierMap, detect_format
from labeling.ingest import log_files, read_decision_log
from policies import TierrouteError, default_policy
from router import DecisionRecord, FeedbackRecord
from serving._decision_log import DecisionLogWriter, prompt_sha256, utc_now_iso
from tests.serving._records import sample_record


def test_records_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    with DecisionLogWriter(path, fsync="always") as writer:
        for index in range(3):
            writer.write(sample_record(index))
        writer.write(FeedbackRecord("req-1", utc_now_iso(), -1, "wrong answer"))
    contents = read_decision_log(path)
    assert contents.bad_lines == []
    assert contents.records[0] == sample_record(0, timestamp=contents.records[0].timestamp)
    assert [r.request_id for r in contents.decisions] == ["req-0", "req-1", "req-2"]
    assert isinstance(contents.records[-1], FeedbackRecord)
    assert path.read_bytes().count(b"\n") == 4
    feedback = FeedbackRecord("req-1", "2025-01-01T00:00:00Z", 1)
    for record in (sample_record(5), feedback):  # the fast encoder writes what to_json does
        assert writer.encode(record) == (record.to_json() + "\n").encode()


@pytest.mark.parametrize(
    ("redact", "prompt", "response", "metadata", "comment"),
    [
        ("none", True, True, True, True),
        ("hash", False, False, True, True),
        ("full", False, False, False, False),
    ],
)
def test_redaction(
    tmp_path: Path, redact: str, prompt: bool, response: bool, metadata: bool, comment: bool
) -> None:
    path = tmp_path / "decisions.jsonl"
    with DecisionLogWriter(path, redact=redact) as writer:  # type: ignore[arg-type]
        writer.write(sample_record(7, prompt="my secret prompt"))
        writer.write(FeedbackRecord("req-7", utc_now_iso(), 1, "my secret comment"))
    text = path.read_text(encoding="utf-8")
    assert ("my secret prompt" in text) is prompt
    assert ("my secret comment" in text) is comment
    record, feedback = read_decision_log(path).records
    assert isinstance(record, DecisionRecord) and isinstance(feedback, FeedbackRecord)
    assert record.prompt_sha256 == prompt_sha256("my secret prompt")
    assert (record.response is not None) is response
    assert bool(record.metadata) is metadata


def test_unicode_edge_cases_stay_one_line(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    prompts = ["line\nbreak\u2028sep", "emoji \U0001f600 and \x00 nul", "lone \ud800 surrogate"]
    with DecisionLogWriter(path) as writer:
        for index, prompt in enumerate(prompts):
            writer.write(sample_record(index, prompt=prompt))
    assert path.read_bytes().count(b"\n") == 3
    contents = read_decision_log(path)
    assert contents.bad_lines == []
    assert [r.prompt for r in contents.decisions] == prompts


def test_rotation_keeps_numbered_files(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    line_bytes = len(DecisionLogWriter(tmp_path / "probe.jsonl").encode(sample_record(0)))
    with DecisionLogWriter(path, rotate_bytes=3 * line_bytes + 10, keep=2) as writer:
        for index in range(20):
            writer.write(sample_record(index % 10))
    files = log_files(path)
    assert [f.name for f in files] == ["decisions.jsonl.2", "decisions.jsonl.1", "decisions.jsonl"]
    ids = [r.request_id for r in read_decision_log(path).records]
    # 20 records, 3 per file: the oldest rotated files were dropped, order is kept
    assert ids == [f"req-{i % 10}" for i in range(12, 20)]
    assert all(f.stat().st_size <= 3 * line_bytes + 10 for f in files)


def test_torn_last_line_is_reported_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    with DecisionLogWriter(path) as writer:
        writer.write(sample_record(0))
    with path.open("ab") as handle:  # a crash in the middle of a line
        handle.write(sample_record(1).to_json().encode()[:50])
    contents = read_decision_log(path)
    assert [r.request_id for r in contents.records] == ["req-0"]
    assert len(contents.bad_lines) == 1 and contents.bad_lines[0].torn
    tiers = TierMap.from_policy(default_policy())
    with Quarantine(tmp_path / "quarantine.jsonl") as quarantine:  # labeling tolerates it too
        ctx = ReadContext(tiers=tiers, quarantine=quarantine)
        [batch] = ADAPTERS["decisions"].read(path, ctx)
        assert batch.n_records == 1 and quarantine.records == 1
    with DecisionLogWriter(path) as writer:
        assert writer.repaired_tail
        writer.write(sample_record(2))
    contents = read_decision_log(path)
    assert [r.request_id for r in contents.records] == ["req-0", "req-2"]
    assert [(b.line, b.torn) for b in contents.bad_lines] == [(2, False)]


def test_threads_and_tasks_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    writer = DecisionLogWriter(path, fsync="interval", fsync_interval_s=0.01)
    long_prompt = "x" * 20_000  # bigger than a pipe buffer: a torn write would show

    def thread_writes(offset: int) -> None:
        for index in range(50):
            writer.write(sample_record(offset + index, prompt=long_prompt))

    async def task_writes() -> None:
        await asyncio.gather(*(writer.awrite(sample_record(1000 + i)) for i in range(200)))

    threads = [threading.Thread(target=thread_writes, args=(k * 100,)) for k in range(3)]
    for thread in threads:
        thread.start()
    asyncio.run(task_writes())
    for thread in threads:
        thread.join()
    writer.close()
    contents = read_decision_log(path)
    assert contents.bad_lines == []
    assert len({r.request_id for r in contents.records}) == 350
    assert writer.records_written == 350


def test_closed_writer_refuses(tmp_path: Path) -> None:
    writer = DecisionLogWriter(tmp_path / "d.jsonl")
    writer.close()
    writer.close()
    with pytest.raises(TierrouteError, match="closed"):
        writer.write(sample_record(0))
    with pytest.raises(TierrouteError, match="closed"):
        asyncio.run(writer.awrite(sample_record(0)))


def test_close_during_writes_loses_or_hangs_nothing(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    writer = DecisionLogWriter(path, fsync="always")

    async def scenario() -> list[BaseException | None]:
        tasks = [asyncio.ensure_future(writer.awrite(sample_record(i))) for i in range(300)]
        await asyncio.sleep(0)
        await asyncio.to_thread(writer.close)  # while many writes are still queued
        return await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)

    results = asyncio.run(scenario())
    written = {f"req-{i}" for i, result in enumerate(results) if result is None}
    assert all(r is None or "closed" in str(r) for r in results)
    assert {r.request_id for r in read_decision_log(path).records} == written


def test_bad_settings_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="redact"):
        DecisionLogWriter(tmp_path / "d.jsonl", redact="partial")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fsync"):
        DecisionLogWriter(tmp_path / "d.jsonl", fsync="sometimes")  # type: ignore[arg-type]


def test_labeling_decisions_adapter_reads_the_log(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    with DecisionLogWriter(path) as writer:
        for index in range(25):
            writer.write(sample_record(index))
        writer.write(FeedbackRecord("req-3", utc_now_iso(), 1))
    with DecisionLogWriter(tmp_path / "redacted.jsonl", redact="hash") as writer:
        writer.write(sample_record(99))
    assert detect_format(path) == "decisions"
    tiers = TierMap.from_policy(default_policy())
    with Quarantine(tmp_path / "quarantine.jsonl") as quarantine:
        ctx = ReadContext(tiers=tiers, quarantine=quarantine)
        batches = list(ADAPTERS["decisions"].read(path, ctx))
        frame = batches[0].to_frame()
        assert frame.height == 25 and quarantine.records == 0
        assert sorted(frame["request_id"]) == sorted(f"req-{i}" for i in range(25))
        assert set(frame["tier"]) == {"medium"} and set(frame["first_tier"]) == {"small"}
        assert batches[0].feedback == [{"request_id": "req-3", "rating": 1}]
        redacted = list(ADAPTERS["decisions"].read(tmp_path / "redacted.jsonl", ctx))
        assert redacted[0].n_records == 0 and quarantine.records == 1


_KILL_SCRIPT = """
import asyncio, sys
sys.path.insert(0, {root!r})
from tests.serving._records import sample_record
from serving._decision_log import DecisionLogWriter

writer = DecisionLogWriter({path!r}, fsync="never", rotate_bytes=1 << 30)
mode = {mode!r}

async def one(index):
    await writer.awrite(sample_record(index, prompt="p" * (index % 5000)))
    print(index, flush=True)

async def main():
    index = 0
    while True:
        await asyncio.gather(*(one(index + k) for k in range(8)))
        index += 8

if mode == "awrite":
    asyncio.run(main())
else:
    index = 0
    while True:
        writer.write(sample_record(index, prompt="p" * (index % 5000)))
        print(index, flush=True)
        index += 1
"""


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["write", "awrite"])
def test_sigkill_loses_no_returned_record(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "decisions.jsonl"
    root = str(Path(__file__).resolve().parents[2])
    script = _KILL_SCRIPT.format(root=root, path=str(path), mode=mode)
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=root
    )
    assert process.stdout is not None
    confirmed: list[str] = []
    for line in process.stdout:
        confirmed.append(f"req-{line.strip()}")
        if len(confirmed) >= 2000:
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    confirmed.extend(f"req-{line.strip()}" for line in process.stdout if line.strip())
    contents = read_decision_log(path)
    on_disk = {r.request_id for r in contents.records}
    assert len(confirmed) >= 2000
    assert set(confirmed) <= on_disk
    assert all(b.torn for b in contents.bad_lines) and len(contents.bad_lines) <= 1
    json.loads(path.read_bytes().splitlines()[0])
