"""Outcome sources for transfer evaluation: every shared set with per-model outcomes.

:func:`read_outcome_sources` returns one :class:`SourceItem` per prompt, grouped by
*source*: each RouterBench set, each small_models7 set (its train and test files merged),
MMLU-Pro by category group, each LLMRouter task and RouterArena. The held-out unit of
:mod:`labeling.transfer._benchmark` is the source; ``outcomes`` keys are ``"<dataset>:<model>"`` as
in :mod:`labeling.shared._sources`.

- MMLU-Pro (``mmlu_pro_outcomes/``): the prompt is the question followed by its options
  (``A. ...``), as the data card says a router sees it; empty cells (no result) are left out.
- LLMRouter (``llmrouter_outcomes/``): the prompt is ``question`` as sent; both of the
  source's own splits are kept (the held-out unit is the task, not the split).
"""

from __future__ import annotations

import ast
import csv
import re
from collections.abc import Iterator
from pathlib import Path

from labeling.shared import SourceItem, stem_key
from labeling.shared._sources import _routerarena, _routerbench, _small_models7
from policies import LabelingError

__all__ = ["MMLU_PRO_GROUPS", "read_outcome_sources"]

# category -> held-out group (a group has at least a few hundred questions)
MMLU_PRO_GROUPS = {
    "physics": "physics",
    "chemistry": "chemistry",
    "engineering": "engineering",
    "math": "math_cs",
    "computer science": "math_cs",
    "business": "business_economics",
    "economics": "business_economics",
    "biology": "biology_psychology",
    "psychology": "biology_psychology",
}
_SM7_SPLIT = re.compile(r"[_-](?:train|test)$")
_OPTION_LETTERS = "ABCDEFGHIJ"


def read_outcome_sources(data_dir: Path) -> list[SourceItem]:
    """Every prompt with outcomes, ``source`` set to its transfer unit, deterministic order."""
    items: list[SourceItem] = []
    items.extend(_routerbench(data_dir))
    for item in _small_models7(data_dir):
        stem = item.source.split("/", 1)[1]
        items.append(_with_source(item, f"small_models7/{_SM7_SPLIT.sub('', stem)}"))
    for item in _routerarena(data_dir):
        items.append(_with_source(item, "routerarena"))
    items.extend(_mmlu_pro(data_dir))
    items.extend(_llmrouter(data_dir))
    return items


def _with_source(item: SourceItem, source: str) -> SourceItem:
    return SourceItem(
        text=item.text,
        source=source,
        family=item.family,
        outcomes=item.outcomes,
        routerbench_split=item.routerbench_split,
        stem=item.stem,
    )


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            yield from enumerate(csv.DictReader(handle), start=2)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LabelingError(f"{path}: cannot read CSV: {exc}") from exc


def _scores(row: dict[str, str], models: list[str], where: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for model in models:
        cell = (row.get(model) or "").strip()
        if not cell:
            continue
        try:
            out[model] = min(max(float(cell), 0.0), 1.0)
        except ValueError as exc:
            raise LabelingError(f"{where}: column {model!r}: {cell!r} is not a number") from exc
    return out


def _options(cell: str, where: str) -> list[str]:
    try:
        value = ast.literal_eval(cell) if cell.strip() else []
    except (ValueError, SyntaxError) as exc:
        raise LabelingError(f"{where}: options: not a list literal") from exc
    if not isinstance(value, list):
        raise LabelingError(f"{where}: options: expected a list")
    return [str(v) for v in value]


def _mmlu_pro(data_dir: Path) -> Iterator[SourceItem]:
    path = data_dir / "mmlu_pro_outcomes" / "mmlu_pro_outcomes.csv"
    fixed = {"question_id", "category", "src", "question", "options", "answer"}
    models: list[str] | None = None
    for line_no, row in _csv_rows(path):
        where = f"{path}:{line_no}"
        if models is None:
            models = [c for c in row if c not in fixed]
        group = MMLU_PRO_GROUPS.get(row.get("category", ""))
        question = (row.get("question") or "").strip()
        if group is None or not question:
            continue
        options = _options(row.get("options") or "", where)
        lines = [f"{_OPTION_LETTERS[i]}. {o}" for i, o in enumerate(options[:10])]
        text = "\n".join([question, *lines])
        scores = _scores(row, models, where)
        if scores:
            yield SourceItem(
                text=text,
                source=f"mmlu_pro/{group}",
                family="mmlu_pro",
                outcomes={f"mmlu_pro:{m}": v for m, v in sorted(scores.items())},
                stem=stem_key(question),
            )


def _llmrouter(data_dir: Path) -> Iterator[SourceItem]:
    path = data_dir / "llmrouter_outcomes" / "llmrouter_outcomes.csv"
    models: list[str] | None = None
    for line_no, row in _csv_rows(path):
        where = f"{path}:{line_no}"
        if models is None:
            models = [c for c in row if c not in {"split", "task", "question"}]
        task, question = (row.get("task") or "").strip(), (row.get("question") or "").strip()
        if not task or not question:
            raise LabelingError(f"{where}: task/question: expected non-empty strings")
        scores = _scores(row, models, where)
        if scores:
            yield SourceItem(
                text=question,
                source=f"llmrouter/{task}",
                family=task,
                outcomes={f"llmrouter:{m}": v for m, v in sorted(scores.items())},
                stem=stem_key(question),
            )
