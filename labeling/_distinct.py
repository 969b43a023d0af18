"""Work done once per distinct prompt: PII scrub, dedup key and text-function votes.

Stage 1 keys every record by a 128-bit hash of its exact prompt (``k1``, ``k2``: two
seeded polars hashes, used within one run only). The first time a prompt is seen, its
text goes to :func:`prompt_rows`, which scrubs it (``_scrub``), computes the stable dedup
key ``group_id`` (blake2b of the normalized scrubbed text) and runs the text-only
labeling functions on the scrubbed text. A prompt repeated across the input costs one
hash per record; the Python work (``router``'s PII finder and detectors, tens of
microseconds a text) is paid once per distinct prompt, in worker processes for batches
of :data:`POOL_MIN_TEXTS` or more, so it runs on the other cores while the main process
parses the next block. Each worker holds one batch at a time; when all are busy the
main process takes the first to finish. Stage 2 merges the prompts that share a
``group_id`` (case, whitespace or PII variants of one prompt).
"""

from __future__ import annotations

import io
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import polars as pl

from labeling._functions import (
    Detect,
    TextFunction,
    clip,
    detector_column,
    text_vote_column,
)
from labeling._scrub import PII_KINDS, candidates, group_ids, scrub_text
from labeling.ingest import TierMap
from policies import LabelingError
from router import DETECTORS

__all__ = [
    "KEYS",
    "POOL_MIN_TEXTS",
    "DistinctPrompts",
    "pii_column",
    "prompt_rows",
    "prompts_glob",
    "serve",
    "text_votes",
]

POOL_MIN_TEXTS = 2_000
KEYS = ("k1", "k2")


def prompts_glob(parts: Path) -> Path:
    """The prompt parts, one per input batch (named by batch: first-appearance order)."""
    return parts / "prompts_*.parquet"


def pii_column(kind: str) -> str:
    return f"pii_{kind}"


def text_votes(
    functions: Sequence[TextFunction], texts: list[str], tiers: TierMap
) -> list[pl.Series]:
    """Each function's ``tv_`` vote column (Int8) for ``texts``."""
    groups = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    detectors = sorted({f.build.detector for f in functions if isinstance(f.build, Detect)})
    if detectors:  # one pass: the detectors of one text share its word set
        found = [DETECTORS[d] for d in detectors]
        rows = [[detect(c) for detect in found] for c in map(clip, texts)]
        groups = groups.with_columns(
            pl.Series(detector_column(d), [r[i] for r in rows], dtype=pl.Boolean)
            for i, d in enumerate(detectors)
        )
    columns: list[pl.Series] = []
    for function in functions:
        votes = function.group_vote(groups, tiers)["vote"]
        columns.append(votes.cast(pl.Int8).alias(text_vote_column(function.name)))
    return columns


@dataclass(frozen=True)
class Request:
    """One batch of new prompts: ``keys`` holds ``k1``, ``k2``, ``seq`` per text."""

    keys: pl.DataFrame
    texts: list[str]
    functions: tuple[TextFunction, ...]
    tiers: TierMap
    scrub_pii: bool


def prompt_rows(request: Request) -> pl.DataFrame:
    """Per prompt: keys, ``group_id``, scrubbed ``text``, PII counts, text votes."""
    texts = list(request.texts)
    counts = {kind: [0] * len(texts) for kind in PII_KINDS}
    if request.scrub_pii:
        for i in candidates(pl.Series(texts, dtype=pl.String)):
            texts[i], found = scrub_text(texts[i])
            for kind, n in found.items():
                counts[kind][i] = n
    scrubbed = pl.Series("text", texts, dtype=pl.String)
    return request.keys.with_columns(
        group_ids(scrubbed),
        scrubbed,
        *(pl.Series(pii_column(k), v, dtype=pl.Int32) for k, v in counts.items()),
        *text_votes(request.functions, texts, request.tiers),
    )


class _Worker:
    """A ``python -c`` child running :func:`serve`: length-prefixed messages over its pipes.

    A plain subprocess rather than ``multiprocessing``: the child never re-imports the
    caller's ``__main__`` (no ``if __name__ == "__main__"`` guard needed in scripts that
    call :func:`~labeling.run_labeling`) and never forks polars' threads.
    """

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        env = dict(os.environ, PYTHONPATH=path, POLARS_MAX_THREADS="1")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from labeling._distinct import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._sender: threading.Thread | None = None

    def submit(self, payload: bytes) -> None:
        """Send a request from a thread: a starting worker reads it only once imported."""
        stdin = self.process.stdin
        assert stdin is not None

        def send() -> None:
            try:
                stdin.write(_HEADER.pack(len(payload)))
                stdin.write(payload)
                stdin.flush()
            except OSError:  # the worker died: result() reports its exit code
                pass

        self._sender = threading.Thread(target=send, daemon=True)
        self._sender.start()

    def result(self) -> pl.DataFrame:
        assert self.process.stdout is not None
        if self._sender is not None:
            self._sender.join()
        ok, body = _read_message(self.process.stdout)
        if ok is None:
            raise LabelingError(f"prompt worker exited (code {self.process.wait()}), see stderr")
        if not ok:
            raise LabelingError(f"prompt worker failed: {body.decode(errors='replace')}")
        return pl.read_ipc(io.BytesIO(body))

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_HEADER = struct.Struct("<Q")


def _read_message(stream: IO[bytes]) -> tuple[bool | None, bytes]:
    """``(ok, body)`` of the next reply; ``(None, b"")`` at end of stream."""
    head = stream.read(_HEADER.size + 1)
    if len(head) < _HEADER.size + 1:
        return None, b""
    (size,) = _HEADER.unpack(head[: _HEADER.size])
    return head[-1] == 1, stream.read(size)


def serve() -> None:
    """Worker loop: read a pickled :class:`Request`, reply with its rows as Arrow IPC."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while head := source.read(_HEADER.size):
        (size,) = _HEADER.unpack(head)
        request = pickle.loads(source.read(size))
        try:
            buffer = io.BytesIO()
            prompt_rows(request).write_ipc(buffer)
            ok, body = True, buffer.getvalue()
        except Exception as exc:  # reported to the parent, which raises LabelingError
            ok, body = False, f"{type(exc).__name__}: {exc}".encode()
        sink.write(_HEADER.pack(len(body)) + bytes([ok]) + body)
        sink.flush()


@dataclass
class DistinctPrompts:
    """Collects :func:`prompt_rows` into Parquet parts; big batches go to workers."""

    functions: tuple[TextFunction, ...]
    tiers: TierMap
    scrub_pii: bool
    parts: Path
    workers: int
    _seen: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"k1": pl.UInt64, "k2": pl.UInt64})
    )
    _idle: list[_Worker] = field(default_factory=list)
    _busy: deque[tuple[_Worker, int]] = field(default_factory=deque)
    _started: list[_Worker] = field(default_factory=list)

    def add(self, firsts: pl.DataFrame, part: int) -> None:
        """``firsts``: ``k1``, ``k2``, ``seq``, ``prompt`` of each prompt's first record in
        batch ``part``; the prompts not seen in earlier batches are processed."""
        new = firsts.join(self._seen, on=list(KEYS), how="anti", maintain_order="left")
        if not new.height:
            return
        self._seen = pl.concat([self._seen, new.select(KEYS)], rechunk=False)
        request = Request(
            new.select(*KEYS, "seq"),
            new["prompt"].to_list(),
            self.functions,
            self.tiers,
            self.scrub_pii,
        )
        if self.workers < 1 or new.height < POOL_MIN_TEXTS:
            self._write(prompt_rows(request), part)
            return
        worker = self._next_worker()
        worker.submit(pickle.dumps(request, protocol=5))
        self._busy.append((worker, part))

    def _next_worker(self) -> _Worker:
        if self._idle:
            return self._idle.pop()
        if len(self._started) < self.workers:
            self._started.append(_Worker())
            return self._started[-1]
        # all busy: take whichever finishes first (parts are named by batch, any order)
        pipes = {w.process.stdout.fileno(): (w, part) for w, part in self._busy if w.process.stdout}
        ready, _, _ = select.select(list(pipes), [], [])
        worker, part = pipes[ready[0]]
        self._busy.remove((worker, part))
        self._write(worker.result(), part)
        return worker

    def finish(self) -> pl.LazyFrame:
        """Wait for the workers; one row per distinct prompt (see :func:`prompt_rows`)."""
        while self._busy:
            worker, part = self._busy.popleft()
            self._write(worker.result(), part)
            self._idle.append(worker)
        self.close()
        return pl.scan_parquet(prompts_glob(self.parts))

    def close(self) -> None:
        for worker in self._started:
            worker.close()
        self._started, self._idle = [], []
        self._busy.clear()

    def _write(self, frame: pl.DataFrame, part: int) -> None:
        target = self.parts / f"prompts_{part:06d}.parquet"
        frame.write_parquet(target, compression="lz4", statistics=False)
