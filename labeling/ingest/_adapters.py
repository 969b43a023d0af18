"""Log adapters: each reads one documented log shape into the normalized schema.

An adapter is a :class:`Adapter` (a ``Protocol``) in the :data:`ADAPTERS` registry.
JSONL adapters share :func:`read_jsonl`: bounded line reading, UTF-8 and JSON checks,
quarantine of bad records; the per-record parsers live in ``_formats``. The
``outcomes`` adapter reads a wide RouterBench-style CSV or Parquet table.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from labeling.ingest._fastpath import FastParser, split_block, take_lines
from labeling.ingest._formats import parse_decision, parse_litellm, parse_openai
from labeling.ingest._reader import (
    Quarantine,
    RecordError,
    UnreadableInput,
    iter_blocks,
    iter_lines,
)
from labeling.ingest._schema import RecordBuffer, TierMap
from policies import LabelingError
from router import DecisionRecord, parse_log_record

__all__ = ["ADAPTERS", "Adapter", "Batch", "ReadContext", "detect_format"]

_STRING_FIELDS = ("request_id", "tenant", "model", "response", "error", "finish_reason")
_TABLE_SUFFIXES = (".csv", ".parquet")
_META_COLUMNS = {"", "sample_id", "prompt", "eval_name", "oracle_model_to_route_to"}


@dataclass(frozen=True)
class ReadContext:
    """What adapters read with; ``columns`` names the record columns the caller uses
    (None: all). An adapter may leave the others null when that saves work."""

    tiers: TierMap
    quarantine: Quarantine
    max_record_bytes: int = 8 << 20
    batch_size: int = 50_000
    columns: frozenset[str] | None = None


@dataclass
class Batch:
    """Up to ``batch_size`` input records of one file, normalized."""

    records: RecordBuffer = field(default_factory=RecordBuffer)
    frames: list[pl.DataFrame] = field(default_factory=list)  # rows parsed in bulk
    feedback: list[dict[str, Any]] = field(default_factory=list)
    n_input: int = 0  # records read (non-blank lines / table rows), bad ones included

    @property
    def n_records(self) -> int:
        return len(self.records) + sum(f.height for f in self.frames)

    def to_frame(self) -> pl.DataFrame:
        """All good records of the batch in input order (``RECORD_SCHEMA``)."""
        frames = [self.records.to_frame(), *self.frames]
        return pl.concat(frames).sort("source_line")


class Adapter(Protocol):
    name: str

    def sniff(self, head: dict[str, Any]) -> bool:
        """Whether the first JSON object of a file looks like this format."""
        ...

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        """Yield normalized batches, quarantining bad records through ``ctx``."""
        ...


Parser = Callable[[dict[str, Any], TierMap, Batch], dict[str, Any] | None]


def read_jsonl(path: Path, ctx: ReadContext, parse: Parser) -> Iterator[Batch]:
    """Shared JSONL driver: one record per non-blank line."""
    batch = Batch()
    source = path.name.split(".", 1)[0]
    try:
        for number, raw in iter_lines(path, ctx.max_record_bytes):
            if raw is not None and not raw.strip():
                continue
            batch.n_input += 1
            row = _parse_line(path, number, raw, ctx, parse, batch)
            if row is not None:
                row["source"] = source
                row["source_line"] = number
                batch.records.append(row)
            if batch.n_input >= ctx.batch_size:
                yield batch
                batch = Batch()
    except UnreadableInput as exc:
        _unreadable_rest(path, exc, ctx, batch)
    if batch.n_input:
        yield batch


def _unreadable_rest(path: Path, exc: UnreadableInput, ctx: ReadContext, batch: Batch) -> None:
    """The damaged rest of a file: one quarantined input (its records cannot be counted)."""
    batch.n_input += 1
    ctx.quarantine.add(path, exc.line, exc.reason, None)


def _parse_line(
    path: Path, number: int, raw: bytes | None, ctx: ReadContext, parse: Parser, batch: Batch
) -> dict[str, Any] | None:
    if raw is None:
        ctx.quarantine.add(path, number, f"record too large: over {ctx.max_record_bytes} bytes", "")
        return None
    try:
        text = raw.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError as exc:
        ctx.quarantine.add(path, number, f"invalid UTF-8: at byte {exc.start}", raw)
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        ctx.quarantine.add(path, number, f"invalid JSON: {exc.msg} (col {exc.colno})", text)
        return None
    except RecursionError:
        ctx.quarantine.add(path, number, "invalid JSON: nested too deeply", text)
        return None
    if not isinstance(obj, dict):
        ctx.quarantine.add(path, number, "wrong type: record: expected a JSON object", text)
        return None
    try:
        row = parse(obj, ctx.tiers, batch)
    except (RecordError, ValueError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, RecordError) else f"invalid record: {exc}"
        if isinstance(exc, RecursionError):
            reason = "invalid record: nested too deeply"
        ctx.quarantine.add(path, number, reason, text)
        return None
    if row is not None:
        for name in _STRING_FIELDS:
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                row[name] = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return row


class OpenAIAdapter:
    """OpenAI request/response pairs; clean lines take the bulk path of ``_fastpath``."""

    name = "openai"

    def sniff(self, head: dict[str, Any]) -> bool:
        return isinstance(head.get("request", head.get("body")), dict) and (
            "response" in head or "error" in head
        )

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        batch = Batch()

        def slow(number: int, raw: bytes | None) -> None:
            self._slow(path, ctx, batch, number, raw)

        source = path.name.split(".", 1)[0]
        parser = FastParser(ctx.tiers, source, slow, ctx.columns)
        blocks = iter_blocks(path, ctx.max_record_bytes)
        while True:
            try:
                first, data = next(blocks)
            except StopIteration:
                break
            except UnreadableInput as exc:
                _unreadable_rest(path, exc, ctx, batch)
                break
            if data is None:
                batch.n_input += 1
                slow(first, None)
                continue
            fast, odd = split_block(first, data, ctx.max_record_bytes)
            while len(fast) or len(odd):
                room = ctx.batch_size - batch.n_input
                (fast_lines, slow_lines), (fast, odd) = take_lines(fast, odd, room)
                batch.n_input += len(fast_lines) + len(slow_lines)
                for number, raw in slow_lines.items():
                    too_large = len(raw) > ctx.max_record_bytes
                    slow(number, None if too_large else raw)
                batch.frames.extend(parser.parse(fast_lines))
                if batch.n_input >= ctx.batch_size:
                    yield batch
                    batch = Batch()
        if batch.n_input:
            yield batch

    @staticmethod
    def _slow(path: Path, ctx: ReadContext, batch: Batch, number: int, raw: bytes | None) -> None:
        parse: Parser = lambda obj, tiers, _: parse_openai(obj, tiers)  # noqa: E731
        row = _parse_line(path, number, raw, ctx, parse, batch)
        if row is not None:
            row["source"] = path.name.split(".", 1)[0]
            row["source_line"] = number
            batch.records.append(row)


class LiteLLMAdapter:
    name = "litellm"

    def sniff(self, head: dict[str, Any]) -> bool:
        return "call_type" in head or ("response_cost" in head and "messages" in head)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        return read_jsonl(path, ctx, lambda obj, tiers, _: parse_litellm(obj, tiers))


class DecisionLogAdapter:
    """tierroute decision logs; feedback records are joined later by ``request_id``."""

    name = "decisions"

    def sniff(self, head: dict[str, Any]) -> bool:
        return head.get("type") in ("decision", "feedback") and "request_id" in head

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        return read_jsonl(path, ctx, _parse_decision_line)


def _parse_decision_line(
    obj: dict[str, Any], tiers: TierMap, batch: Batch
) -> dict[str, Any] | None:
    record = parse_log_record(obj)
    if isinstance(record, DecisionRecord):
        return parse_decision(record, tiers)
    batch.feedback.append({"request_id": record.request_id, "rating": record.rating})
    return None


class OutcomesAdapter:
    """Wide RouterBench-style table: ``prompt`` + one 0..1 score column per model.

    ``model|total_cost`` / ``model|model_response`` columns are ignored; ``prompt`` cells
    that are Python list literals are parsed with :func:`ast.literal_eval`. Each row
    becomes one record with ``outcomes = [{model, tier, score}, ...]``.
    """

    name = "outcomes"

    def sniff(self, head: dict[str, Any]) -> bool:
        return False  # chosen by file extension

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Batch]:
        frame = _read_table(path)
        if "prompt" not in frame.columns:
            raise LabelingError(f"{path}: outcomes table has no 'prompt' column")
        models = [c for c in frame.columns if "|" not in c and c not in _META_COLUMNS]
        model_tiers = {m: ctx.tiers.tier_of(m) for m in models}
        source = path.name.split(".", 1)[0]
        for offset in range(0, frame.height, ctx.batch_size):
            batch = Batch()
            chunk = frame.slice(offset, ctx.batch_size)
            for index, row in enumerate(chunk.iter_rows(named=True), start=offset + 1):
                batch.n_input += 1
                try:
                    record = _outcome_row(row, model_tiers)
                except RecordError as exc:
                    ctx.quarantine.add(path, index, str(exc), json.dumps(row, default=str))
                    continue
                record["source"] = source
                record["source_line"] = index
                batch.records.append(record)
            yield batch


def _read_table(path: Path) -> pl.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pl.read_parquet(path)
        return pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise LabelingError(f"{path}: cannot read outcomes table: {exc}") from exc


def _outcome_row(row: dict[str, Any], model_tiers: dict[str, str | None]) -> dict[str, Any]:
    prompt = row.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise RecordError("missing field: prompt")
    if prompt.startswith("[") and prompt.endswith("]"):
        try:
            parts = ast.literal_eval(prompt)
        except (ValueError, SyntaxError) as exc:
            raise RecordError("invalid prompt: not a Python list literal") from exc
        prompt = "\n".join(str(p) for p in parts) if isinstance(parts, list) else str(parts)
    outcomes = []
    for model, tier in model_tiers.items():
        cell = row.get(model)
        if cell is None or cell == "":
            continue
        try:
            score = float(cell)
        except (TypeError, ValueError) as exc:
            raise RecordError(f"wrong type: {model}: expected a score 0..1") from exc
        outcomes.append({"model": model, "tier": tier, "score": score})
    request_id = row.get("sample_id")
    return {
        "request_id": None if request_id is None else str(request_id),
        "messages": json.dumps([{"role": "user", "content": prompt}], ensure_ascii=False),
        "prompt": prompt,
        "status": "ok",
        "outcomes": outcomes or None,
    }


ADAPTERS: dict[str, Adapter] = {
    a.name: a for a in (OpenAIAdapter(), LiteLLMAdapter(), DecisionLogAdapter(), OutcomesAdapter())
}


def detect_format(path: Path, max_probe_lines: int = 50) -> str | None:
    """The adapter name for ``path``; None for an empty file. LabelingError if unknown."""
    if path.suffix in _TABLE_SUFFIXES:
        return "outcomes"
    seen = False
    for number, raw in iter_lines(path, 1 << 20):
        if raw is not None and not raw.strip():
            continue
        seen = True
        try:
            head = json.loads(raw) if raw is not None else None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            head = None
        if isinstance(head, dict):
            for name, adapter in ADAPTERS.items():
                if adapter.sniff(head):
                    return name
        if number >= max_probe_lines:
            break
    if not seen:
        return None
    raise LabelingError(f"{path}: cannot detect the log format; pass --format")
