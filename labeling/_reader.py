"""Bounded line reading (plain or gzip JSONL) and the quarantine file.

A line longer than ``max_record_bytes`` is never held in memory whole: the reader
skips the rest of it in 1 MiB chunks and reports it as too large. Gzip input is read
transparently (detected by its magic bytes, not by the file name).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from policies import LabelingError

__all__ = ["Quarantine", "RecordError", "iter_blocks", "iter_lines", "open_binary"]

_CHUNK = 1 << 20
BLOCK_BYTES = 16 << 20
SNIPPET_CHARS = 200


class RecordError(ValueError):
    """One record is unusable; the message is the quarantine reason."""


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, decompressing gzip transparently."""
    with path.open("rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def iter_lines(path: Path, max_record_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(line_number, raw_line)``; ``raw_line`` is None when the line is too large."""
    with open_binary(path) as handle:
        number = 0
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


def iter_blocks(
    path: Path, max_record_bytes: int, block_bytes: int = BLOCK_BYTES
) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(first_line_number, data)``: ``data`` holds whole lines (about ``block_bytes``).

    ``data`` is None for a line longer than ``max_record_bytes`` that did not fit a block:
    it was skipped without being held whole. Shorter over-limit lines stay in ``data``
    (the caller checks line lengths). Memory: one block plus one record at most.
    """
    with open_binary(path) as handle:
        number, carry = 1, b""
        while chunk := handle.read(block_bytes):
            cut = chunk.rfind(b"\n")
            if cut < 0:
                carry += chunk
                if len(carry) > max_record_bytes:
                    yield number, None
                    number += 1
                    rest = _skip_line(handle)  # may hold whole lines: pass them on
                    cut = rest.rfind(b"\n")
                    carry = rest[cut + 1 :]
                    if cut >= 0:
                        yield number, rest[: cut + 1]
                        number += rest.count(b"\n", 0, cut + 1)
                continue
            data = b"".join((carry, memoryview(chunk)[: cut + 1])) if carry else chunk[: cut + 1]
            carry = chunk[cut + 1 :]
            yield number, data
            number += data.count(b"\n")
        if carry:
            yield number, carry if len(carry) <= max_record_bytes else None


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
