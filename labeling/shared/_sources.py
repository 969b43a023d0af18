"""Read the shared public data sets into one list of :class:`SourceItem` (one per prompt).

Each item carries the text the classifier will see, the benchmark *family* it comes
from (the unit of leave-one-source-out evaluation) and the outcomes observed for it,
as ``{"<dataset>:<model>": success in [0, 1]}``. Turning outcomes into tier
probabilities is :mod:`labeling.shared._soft_labels`' job; linking and deduplicating items
across sources is :mod:`labeling.shared._dataset`'s.

Text clean-up is deliberately small and only removes what would let a classifier
recognise the *source* instead of the difficulty:

* RouterBench ARC/Winogrande prompts are 5-shot: the same demonstrations precede
  every question, so only the last block (the question asked) is kept.
* small_models7 wraps ARC in ``Question: ... Answer:``, MBPP in triple quotes and
  C-Eval/CMMLU end in ``答案：``; the wrappers are removed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier import read_routerbench
from policies import LabelingError

__all__ = ["SourceItem", "read_shared_sources", "stem_key"]

ROUTERBENCH_FAMILIES = {"arc-challenge": "arc", "mbpp": "mbpp", "winogrande": "winogrande"}
# small_models7 file stem prefix -> (family, multiple choice?)
SMALL_MODELS7_FAMILIES = (
    ("arc_", "arc", True),
    ("ceval", "chinese_exam", True),
    ("cmmlu", "chinese_exam", True),
    ("gsm8k", "gsm8k", False),
    ("humaneval", "humaneval", False),
    ("javascript", "javascript", False),
    ("mbpp", "mbpp", False),
    ("MATH", "math", False),
)


@dataclass(frozen=True)
class SourceItem:
    text: str
    source: str  # dataset/subset, e.g. routerbench/mbpp, small_models7/gsm8k-train
    family: str  # benchmark family, e.g. arc, mbpp, gsm8k, arena_hard
    outcomes: dict[str, float] = field(default_factory=dict)
    routerbench_split: str | None = None  # train/test for RouterBench rows
    stem: str | None = None  # cross-source link key (question stem), when linkable


def read_shared_sources(data_dir: Path, sharegpt: int = 0) -> list[SourceItem]:
    """All labeled prompts of the shared data, in a deterministic order.

    ``sharegpt``: how many ShareGPT first turns (no outcomes; a stable hash of the id
    picks them) to add as ordinary real traffic.
    """
    items: list[SourceItem] = []
    for reader in (_routerbench, _small_models7, _routerarena, _arena_hard):
        items.extend(reader(data_dir))
    if sharegpt > 0:
        items.extend(_sharegpt(data_dir, sharegpt))
    return items


def stem_key(text: str) -> str | None:
    """The question stem as lowercase words (first line before any options), if long enough."""
    first = text.strip().split("\n", 1)[0]
    words = re.findall(r"[a-z0-9]+", first.lower())
    return " ".join(words) if len(words) >= 6 else None


def _last_block(prompt: str) -> str:
    blocks = [b for b in prompt.split("\n\n") if b.strip()]
    return blocks[-1].strip() if blocks else prompt.strip()


def _routerbench(data_dir: Path) -> Iterator[SourceItem]:
    for split in ("train", "test"):
        for row in read_routerbench(split, data_dir):
            text = row.prompt.strip() if row.source == "mbpp" else _last_block(row.prompt)
            yield SourceItem(
                text=text,
                source=f"routerbench/{row.source}",
                family=ROUTERBENCH_FAMILIES.get(row.source, row.source),
                outcomes={f"routerbench:{m}": v for m, v in sorted(row.correct.items())},
                routerbench_split=split,
                stem=stem_key(text),
            )


_SM7_WRAPPERS = (
    (re.compile(r"^\s*Question:\s*"), ""),
    (re.compile(r"\s*Answer:\s*$"), ""),
    (re.compile(r"\s*答案：\s*$"), ""),
    (re.compile(r'^\s*"""\s*'), ""),
    (re.compile(r'\s*"""\s*$'), ""),
)


def _clean_small_models7(question: str) -> str:
    text = question
    for pattern, replacement in _SM7_WRAPPERS:
        text = pattern.sub(replacement, text)
    return text.strip()


def _small_models7_family(stem: str) -> tuple[str, bool]:
    for prefix, family, multiple_choice in SMALL_MODELS7_FAMILIES:
        if stem.startswith(prefix):
            return family, multiple_choice
    return stem.lower(), False


def _small_models7(data_dir: Path) -> Iterator[SourceItem]:
    folder = data_dir / "small_models7"
    for path in sorted(folder.glob("*.json")):
        family, multiple_choice = _small_models7_family(path.stem)
        rows = _load_json(path)
        if not isinstance(rows, list):
            raise LabelingError(f"{path}: expected a JSON list of {{question, scores}}")
        for index, row in enumerate(rows):
            question, scores = _small_models7_row(row, f"{path}[{index}]")
            text = _clean_small_models7(question)
            if not text:
                continue
            outcomes = {
                # multiple choice: the score is the probability of the right option when it
                # was the argmax, else 0; generation: the share of passing samples.
                f"small_models7:{m}": (1.0 if s > 0 else 0.0) if multiple_choice else s
                for m, s in sorted(scores.items())
            }
            yield SourceItem(
                text=text,
                source=f"small_models7/{path.stem}",
                family=family,
                outcomes=outcomes,
                stem=stem_key(text) if family in {"arc", "mbpp"} else None,
            )


def _small_models7_row(row: Any, where: str) -> tuple[str, dict[str, float]]:
    if not isinstance(row, dict) or not isinstance(row.get("question"), str):
        raise LabelingError(f"{where}: question: expected a string")
    scores = row.get("scores")
    if not isinstance(scores, dict) or not scores:
        raise LabelingError(f"{where}: scores: expected a non-empty object")
    try:
        return row["question"], {str(m): min(max(float(s), 0.0), 1.0) for m, s in scores.items()}
    except (TypeError, ValueError) as exc:
        raise LabelingError(f"{where}: scores: expected numbers") from exc


def _routerarena(data_dir: Path) -> Iterator[SourceItem]:
    folder = data_dir / "routerarena_cached"
    by_index: dict[str, tuple[str, dict[str, float]]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line_no, row in _jsonl(path):
            where = f"{path}:{line_no}"
            index, question = row.get("global_index"), row.get("question")
            if not isinstance(index, str) or not isinstance(question, str):
                raise LabelingError(f"{where}: global_index/question: expected strings")
            score = _arena_score(row.get("evaluation_result"), where)
            entry = by_index.setdefault(index, (question, {}))
            if score is not None:
                entry[1][f"routerarena:{path.stem}"] = score
    for index in sorted(by_index):
        question, outcomes = by_index[index]
        if outcomes and question.strip():
            subset = index.rsplit("_", 1)[0]
            yield SourceItem(
                text=question.strip(),
                source=f"routerarena/{subset}",
                family="routerarena",
                outcomes=outcomes,
            )


def _arena_score(result: Any, where: str) -> float | None:
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except json.JSONDecodeError as exc:
            raise LabelingError(f"{where}: evaluation_result: invalid JSON") from exc
    if not isinstance(result, dict) or result.get("score") is None:
        return None
    try:
        return min(max(float(result["score"]), 0.0), 1.0)
    except (TypeError, ValueError) as exc:
        raise LabelingError(f"{where}: evaluation_result.score: expected a number") from exc


def _arena_hard(data_dir: Path) -> Iterator[SourceItem]:
    folder = data_dir / "arena_hard_questions"
    for path in sorted(folder.glob("*.jsonl")):
        version = path.stem.split("_")[0]  # arena-hard-v0.1 / arena-hard-v2.0
        for line_no, row in _jsonl(path):
            prompt = row.get("prompt")
            if not isinstance(prompt, str):
                raise LabelingError(f"{path}:{line_no}: prompt: expected a string")
            if prompt.strip():
                category = row.get("subcategory") or row.get("category") or ""
                yield SourceItem(
                    text=prompt.strip(),
                    source=f"arena_hard/{version}/{category}".rstrip("/"),
                    family="arena_hard",
                )


def _sharegpt(data_dir: Path, limit: int) -> list[SourceItem]:
    path = data_dir / "sharegpt_prompts" / "sharegpt_v3_first_turn_prompts.jsonl"
    ranked = []
    for line_no, row in _jsonl(path):
        prompt, ident = row.get("prompt"), row.get("id")
        if not isinstance(prompt, str) or not isinstance(ident, str):
            raise LabelingError(f"{path}:{line_no}: id/prompt: expected strings")
        if prompt.strip():
            rank = hashlib.blake2b(b"sharegpt:" + ident.encode(), digest_size=8).hexdigest()
            ranked.append((rank, prompt.strip()))
    return [
        SourceItem(text=text, source="sharegpt/first_turn", family="sharegpt")
        for _, text in sorted(ranked)[:limit]
    ]


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelingError(f"{path}: cannot read JSON: {exc}") from exc


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelingError(f"{path}: cannot read: {exc}") from exc
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelingError(f"{path}:{line_no}: invalid JSON: {exc.msg}") from exc
        if not isinstance(row, dict):
            raise LabelingError(f"{path}:{line_no}: expected a JSON object")
        yield line_no, row
