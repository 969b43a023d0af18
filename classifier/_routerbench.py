"""Read RouterBench rows (prompt, per-model correctness and cost) from the shared data.

RouterBench ``prompt`` cells are Python-list literals (``"['...']"``); they are parsed
with :func:`ast.literal_eval`, never ``eval``.
"""

from __future__ import annotations

import ast
import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from classifier._settings import shared_data_dir
from policies import ClassifierError

__all__ = [
    "ROUTERBENCH_TIER_MODELS",
    "RouterBenchRow",
    "cheapest_sufficient_tier",
    "read_routerbench",
]

# The three RouterBench models that stand for the default policy's tiers.
ROUTERBENCH_TIER_MODELS = {
    "small": "mistralai/mistral-7b-chat",
    "medium": "mistralai/mixtral-8x7b-chat",
    "frontier": "gpt-4-1106-preview",
}
_SUFFIXES = ("|model_response", "|total_cost")


@dataclass(frozen=True)
class RouterBenchRow:
    sample_id: str
    source: str  # eval name: arc-challenge, mbpp, winogrande
    split: str  # train or test
    prompt: str
    correct: dict[str, float]  # model -> 0/1 (models without a recorded outcome are absent)
    cost_usd: dict[str, float]  # model -> USD for this request
    response: dict[str, str]  # model -> recorded answer


def read_routerbench(split: str, data_dir: Path | None = None) -> Iterator[RouterBenchRow]:
    """Yield the rows of every RouterBench CSV of ``split`` (``train`` or ``test``)."""
    folder = (data_dir or shared_data_dir()) / "routerbench"
    files = sorted(folder.glob(f"*_{split}.csv"))
    if not files:
        raise ClassifierError(f"{folder}: no RouterBench *_{split}.csv files")
    csv.field_size_limit(sys.maxsize)
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            for record in reader:
                yield _parse_row(record, split, f"{path}:{reader.line_num}")


def _parse_row(record: dict[str, str], split: str, where: str) -> RouterBenchRow:
    try:
        parts = ast.literal_eval(record["prompt"])
    except (ValueError, SyntaxError) as exc:
        raise ClassifierError(f"{where}: prompt: not a Python list literal") from exc
    prompt = "\n".join(str(p) for p in parts) if isinstance(parts, list) else str(parts)
    models = [k for k in record if k and "|" not in k and k not in _META_COLUMNS]
    return RouterBenchRow(
        sample_id=record["sample_id"],
        source=record["eval_name"],
        split=split,
        prompt=prompt,
        correct={m: float(record[m]) for m in models if record[m] != ""},
        cost_usd={m: float(record[f"{m}|total_cost"]) for m in models if record[f"{m}|total_cost"]},
        response={m: _first(record.get(f"{m}|model_response", "")) for m in models},
    )


_META_COLUMNS = {"sample_id", "prompt", "eval_name", "oracle_model_to_route_to"}


def _first(cell: str) -> str:
    """Recorded responses are list literals too; return the first answer."""
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError):
        return cell
    if isinstance(value, list) and value:
        return str(value[0])
    return str(value)


def cheapest_sufficient_tier(
    row: RouterBenchRow, tier_models: dict[str, str] = ROUTERBENCH_TIER_MODELS
) -> str:
    """The cheapest tier whose model answered correctly; the cheapest tier if none did
    (a request no tier answers gains nothing from a dearer one)."""
    for tier, model in tier_models.items():
        if row.correct.get(model, 0.0) >= 0.5:
            return tier
    return list(tier_models)[0]
