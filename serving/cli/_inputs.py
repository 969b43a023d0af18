"""What commands read from files and the command line: prompts, JSONL prompt files,
``--meta KEY=VALUE``. Each problem is a :class:`PromptError` naming the file and line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from policies import PromptError

__all__ = ["parse_meta", "read_jsonl_prompts", "read_prompt", "read_text"]


def read_prompt(prompt: str | None, messages: Path | None) -> Any:
    """The PROMPT argument (``-``: stdin), or the OpenAI-style messages of a JSON file."""
    if messages is not None:
        raw = read_text(messages)
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise PromptError(f"{messages}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    if prompt is None:
        raise PromptError("give a PROMPT argument, '-' for stdin, or --messages FILE")
    return sys.stdin.read() if prompt == "-" else prompt


def read_text(path: Path) -> str:
    """``path`` as UTF-8 text."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PromptError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PromptError(f"{path}:{line}: invalid UTF-8 at byte {exc.start}") from exc


def read_jsonl_prompts(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSONL file, each an object with a string ``prompt``."""
    rows = []
    for line_no, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PromptError(f"{path}:{line_no}: invalid JSON: {exc.msg}") from exc
        if not isinstance(row, dict) or not isinstance(row.get("prompt"), str):
            raise PromptError(f"{path}:{line_no}: prompt: expected a string field")
        rows.append(row)
    return rows


def parse_meta(pairs: list[str]) -> dict[str, object]:
    """``["team=search", ...]`` -> ``{"team": "search", ...}``."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PromptError(f"--meta {pair!r}: expected KEY=VALUE")
        out[key] = value
    return out
