"""The data card of the shared-data training set (``datacard.json`` + ``datacard.md``).

The facts (counts, splits, label mix per family, fitted abilities) come from the run;
the mapping of each source to soft labels and the measured comparison of label
variants (``bench/label_quality.py``) are stated in :data:`MAPPING` and
:data:`MEASURED` so the card says why the labels look the way they do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from labeling._datacard import _plot, _table

__all__ = ["MAPPING", "MEASURED", "write_shared_card"]

TIERS = ("small", "medium", "frontier")

MAPPING = {
    "routerbench": (
        "11 models' 0/1 outcomes (ARC-Challenge, MBPP, Winogrande). All 11 enter the "
        "item-response fit; the tier models (mistral-7b-chat, mixtral-8x7b-chat, "
        "gpt-4-1106-preview) give the tier success probabilities, each mixed half with its "
        "own observed outcome. Few-shot demonstrations (identical in every ARC/Winogrande "
        "prompt) are cut: the text is the question asked. Test CSV rows are split=test."
    ),
    "small_models7": (
        "7 open 7-8B models' scores (multiple choice: right/wrong; generation: share of "
        "passing samples). ~1,000 ARC/MBPP questions are also in RouterBench and are merged "
        "with them; through those, the item-response fit learns how small-model failure "
        "translates into Mixtral and GPT-4 failure, which gives the medium/frontier split "
        "for GSM8K, MATH, HumanEval, JavaScript and C-Eval/CMMLU prompts."
    ),
    "routerarena": (
        "claude-3-haiku and gemini-2.0-flash scores on 809 diverse prompts (MMLU-Pro, "
        "PubMedQA, LiveCodeBench, AIME, WMT19, ...). No prompt is shared with another "
        "source, so their abilities are anchored (haiku = Mixtral, gemini-flash = GPT-4) "
        "and the prompt's difficulty is inferred from the two scores."
    ),
    "arena_hard": (
        "no outcomes: hard real user prompts get a fixed frontier-leaning prior "
        "(no_outcome_probs) with confidence 0.3."
    ),
}

# Filled in from bench/label_quality.py; see that script for the protocol.
MEASURED = """\
Not measured yet: run `python bench/label_quality.py`.
"""


def write_shared_card(out_dir: Path, card: dict[str, Any], frame: pl.DataFrame) -> None:
    card = {**card, **frame_facts(frame), "mapping": MAPPING}
    (out_dir / "datacard.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (out_dir / "datacard.md").write_text(render_shared_markdown(card), encoding="utf-8")
    _plot(out_dir / "label_distribution.png", frame, TIERS)


def frame_facts(frame: pl.DataFrame) -> dict[str, Any]:
    probs = frame.select(
        "family",
        *(pl.col("tier_probs").list.get(i).alias(t) for i, t in enumerate(TIERS)),
    )
    mix = probs.group_by("family").agg(pl.len(), *(pl.col(t).mean() for t in TIERS))
    splits = frame.group_by("family", "split").len().sort("family", "split")
    labels = frame.group_by("label").len()
    return {
        "labels": {t: _count(labels, "label", t) for t in TIERS},
        "splits": {s: int((frame["split"] == s).sum()) for s in ("train", "val", "test")},
        "families": [
            {
                "family": row["family"],
                "rows": row["len"],
                **{f"mean_{t}": round(row[t], 3) for t in TIERS},
                **{
                    s: _count(splits.filter(pl.col("family") == row["family"]), "split", s)
                    for s in ("train", "val", "test")
                },
            }
            for row in mix.sort("family").iter_rows(named=True)
        ],
        "rows_by_source": {
            str(source): int(n) for source, n in sorted(frame.group_by("source").len().iter_rows())
        },
        "mean_confidence": round(float(frame["confidence"].to_numpy().mean()), 3),
    }


def _count(frame: pl.DataFrame, column: str, value: str) -> int:
    hit = frame.filter(pl.col(column) == value)
    return int(hit["len"].sum()) if hit.height else 0


def render_shared_markdown(card: dict[str, Any]) -> str:
    counts = card["counts"]
    lines = [
        f"# Shared-data training set {card['dataset_version']}",
        "",
        f"{counts['input_records']:,} prompts read; {counts['questions']:,} distinct questions "
        f"after linking ({counts['linked_across_sources']:,} seen in several sources); "
        f"{counts['labeled_questions']:,} labeled; {counts['dropped_by_balance']:,} dropped to "
        f"balance families; {counts['rows']:,} rows. Mean confidence "
        f"{card['mean_confidence']:.3f}.",
        "",
        "## Rows per family (mean soft label) and split",
        "",
        *_table(
            ("family", "rows", "small", "medium", "frontier", "train", "val", "test"),
            [
                (
                    f["family"],
                    f["rows"],
                    f["mean_small"],
                    f["mean_medium"],
                    f["mean_frontier"],
                    f["train"],
                    f["val"],
                    f["test"],
                )
                for f in card["families"]
            ],
        ),
        *_table(("hard label", "rows"), list(card["labels"].items())),
        *_table(("split", "rows"), list(card["splits"].items())),
        "## How each source becomes a soft label",
        "",
        *[f"- **{name}**: {text}" for name, text in card["mapping"].items()],
        "",
        "## Fitted abilities (logit scale, item-response model)",
        "",
        *_table(("model", "ability"), [(m, f"{t:.2f}") for m, t in card["abilities"].items()]),
        "## Records per source (input)",
        "",
        *_table(("source", "records"), list(card["records_by_source"].items())),
        "## PII redactions",
        "",
        *_table(("kind", "replaced"), list(card["pii_redactions"].items()) or [("none", 0)]),
        "## Measured label variants (bench/label_quality.py)",
        "",
        MEASURED,
    ]
    return "\n".join(lines)
