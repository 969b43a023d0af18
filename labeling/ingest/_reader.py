"""Input files, bounded line reading (plain or gzip JSONL) and the quarantine file.

A line longer than ``max_record_bytes`` is never held in memory whole: the reader
skips the rest of it in 1 MiB chunks and reports it as too large. Gzip input is read
transparently (detected by its magic bytes, not by the file name); a truncated or
corrupt gzip stream yields every line before the damage, then raises
:class:`UnreadableInput` (the caller quarantines the rest of the file). A directory
input stands for the log files under it (:func:`expand_inputs`).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from policies import LabelingError

__all__ = [
    "LOG_SUFFIXES",
    "Quarantine",
    "RecordError",
    "UnreadableInput",
    "expand_inputs",
    "iter_blocks",
    "iter_lines",
    "open_binary",
]

_CHUNK = 1 << 20
BLOCK_BYTES = 16 << 20
SNIPPET_CHARS = 200


# What a directory input is searched for (a name ending in one of these).
LOG_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz", ".csv",
                ".parquet")  # fmt: skip
# What a damaged gzip stream raises: cut short, bad deflate data, bad header or CRC.
_BROKEN = (EOFError, zlib.error, gzip.BadGzipFile)


class RecordError(ValueError):
    """One record is unusable; the message is the quarantine reason."""


class UnreadableInput(LabelingError):
    """The rest of a file cannot be read (damaged compressed data) from ``line`` on."""

    def __init__(self, path: Path, line: int, exc: BaseException) -> None:
        self.line = line
        self.reason = (
            f"unreadable compressed data: from line {line} to the end of the file "
            f"({type(exc).__name__}: {exc})"
        )
        super().__init__(f"{path}: {self.reason}")


def expand_inputs(inputs: Iterable[Path | str]) -> list[Path]:
    """``inputs`` with each directory replaced by the log files under it (sorted;
    hidden files and folders skipped). LabelingError for a directory without any."""
    out: list[Path] = []
    for path in map(Path, inputs):
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted(
            f
            for f in path.rglob("*")
            if f.name.endswith(LOG_SUFFIXES)
            and not any(p.startswith(".") for p in f.relative_to(path).parts)
            and f.is_file()
        )
        if not found:
            raise LabelingError(
                f"{path}: a directory without log files ({', '.join(LOG_SUFFIXES)})"
            )
        out.extend(found)
    return out


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, decompressing gzip transparently."""
    with path.open("rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def iter_lines(path: Path, max_record_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(line_number, raw_line)``; ``raw_line`` is None when the line is too large.
    UnreadableInput after the last readable line of a damaged gzip file."""
    with open_binary(path) as handle:
        number = 0
        try:
            while True:
                line = handle.readline(max_record_bytes + 1)
                if not line:
                    return
                number += 1
                if len(line) > max_record_bytes and not line.endswith(b"\n"):
                    rest = line
                    while rest and not rest.endswith(b"\n"):
                        rest = handle.readline(_CHUNK)
                    yield number, None
                    continue
                yield number, line
        except _BROKEN as exc:
            raise UnreadableInput(path, number + 1, exc) from exc


def iter_blocks(
    path: Path, max_record_bytes: int, block_bytes: int = BLOCK_BYTES
) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(first_line_number, data)``: ``data`` holds whole lines (about ``block_bytes``).

    ``data`` is None for a line longer than ``max_record_bytes`` that did not fit a block:
    it was skipped without being held whole. Shorter over-limit lines stay in ``data``
    (the caller checks line lengths). Memory: one block plus one record at most.
    """
    state = [1]  # the number of the next line (read by the error path)
    with open_binary(path) as handle:
        try:
            yield from _blocks(handle, max_record_bytes, block_bytes, state)
        except _BROKEN as exc:
            raise UnreadableInput(path, state[0], exc) from exc


def _blocks(
    handle: IO[bytes], max_record_bytes: int, block_bytes: int, state: list[int]
) -> Iterator[tuple[int, bytes | None]]:
    number, carry = 1, b""
    while True:
        chunk, broken = _read(handle, block_bytes)
        cut = chunk.rfind(b"\n")
        if cut < 0:
            carry += chunk
            if len(carry) > max_record_bytes and broken is None:
                yield number, None
                number += 1
                rest = _skip_line(handle)  # may hold whole lines: pass them on
                cut = rest.rfind(b"\n")
                carry = rest[cut + 1 :]
                if cut >= 0:
                    yield number, rest[: cut + 1]
                    number += rest.count(b"\n", 0, cut + 1)
        else:
            data = b"".join((carry, memoryview(chunk)[: cut + 1])) if carry else chunk[: cut + 1]
            carry = chunk[cut + 1 :]
            yield number, data
            number += data.count(b"\n")
        state[0] = number
        if broken is not None:
            raise broken  # the partial line in ``carry`` is part of the unreadable rest
        if not chunk:
            break
    if carry:
        yield number, carry if len(carry) <= max_record_bytes else None


def _read(handle: IO[bytes], size: int) -> tuple[bytes, BaseException | None]:
    """Up to ``size`` bytes, and the error that stopped a damaged gzip stream (the
    bytes decompressed before it are kept: ``read1`` hands them out as they come)."""
    if not isinstance(handle, gzip.GzipFile):
        return handle.read(size), None
    parts: list[bytes] = []
    total = 0
    while total < size:
        try:
            piece = handle.read1(min(_CHUNK, size - total))
        except _BROKEN as exc:
            return b"".join(parts), exc
        if not piece:
            break
        parts.append(piece)
        total += len(piece)
    return b"".join(parts), None


def _skip_line(handle: IO[bytes]) -> bytes:
    """Read past the end of the current line; return what follows it."""
    while chunk := handle.read(_CHUNK):
        cut = chunk.find(b"\n")
        if cut >= 0:
            return chunk[cut + 1 :]
    return b""


@dataclass
class Quarantine:
    """Append-only ``quarantine.jsonl``: one object per rejected record or file."""

    path: Path
    records: int = 0
    files: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    _handle: IO[str] | None = None

    def __enter__(self) -> Quarantine:
        self._handle = self.path.open("w", encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def add(self, file: Path | str, line: int, reason: str, raw: bytes | str | None) -> None:
        """Quarantine one record (counted in the invariant)."""
        self.records += 1
        self._write(file, line, reason, raw, scope="record")

    def reject_file(self, file: Path | str, reason: str) -> None:
        """Reject a whole file (no records read from it; not a record count)."""
        self.files += 1
        self._write(file, 0, reason, None, scope="file")

    def _write(
        self, file: Path | str, line: int, reason: str, raw: bytes | str | None, scope: str
    ) -> None:
        key = reason.split(":", 1)[0] if scope == "record" else f"file: {reason}"
        self.reasons[key] += 1
        if isinstance(raw, bytes):
            raw = raw[: SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
        entry: dict[str, Any] = {
            "file": str(file),
            "line": line,
            "scope": scope,
            "reason": reason,
            "snippet": (raw or "")[:SNIPPET_CHARS],
        }
        if self._handle is None:
            raise LabelingError("Quarantine used outside its context manager")
        self._handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
