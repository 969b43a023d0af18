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
        "11 models' 0/1 outcomes (ARC-Challenge, MBPP, Winogrande) all enter the "
        "item-response fit; the tier models (mistral-7b-chat = small, mixtral-8x7b-chat = "
        "medium, gpt-4-1106-preview = frontier) give the tier success probabilities, mixed "
        "with their own observed outcome (observed_weight). Few-shot demonstrations "
        "(identical in every ARC/Winogrande prompt) are cut: the text is the question asked. "
        "Every test-CSV row, and every other source's copy of such a question, is split=test."
    ),
    "small_models7": (
        "7 open 7-8B models' scores (multiple choice: right/wrong; generation: share of "
        "passing samples). ~1,000 ARC/MBPP questions are also in RouterBench and are merged "
        "with them; through those the fit puts the seven models on RouterBench's scale, so "
        "small-model failure on a GSM8K, MATH, HumanEval, JavaScript or C-Eval/CMMLU prompt "
        "becomes a calibrated Mixtral / GPT-4 success probability (a harder prompt for 7B "
        "models is a harder prompt for all: one difficulty per prompt)."
    ),
    "routerarena": (
        "claude-3-haiku and gemini-2.0-flash scores on 809 diverse prompts (MMLU-Pro, "
        "PubMedQA, LiveCodeBench, AIME, WMT19, ...). No prompt is shared with another "
        "source, so their abilities are anchored (haiku = Mixtral, gemini-flash = GPT-4, "
        "a conservative reading of public leaderboards) and each prompt's difficulty is "
        "inferred from the two scores."
    ),
    "arena_hard": (
        "no outcomes: hard real user prompts (picked from Chatbot Arena for specificity, "
        "domain knowledge, complexity, problem solving) get the fixed frontier-leaning "
        "prior no_outcome_probs['arena_hard'] at confidence 0.3."
    ),
    "sharegpt": (
        "not in the default set (measured: a flat prior on 2,000 ShareGPT prompts did not "
        "help held-out families); left to teacher distillation on unlabeled traffic."
    ),
    "families": (
        "abilities get a per-family offset (double-centred, so a family's overall level "
        "stays in the prompts' difficulty): Mistral-7B is much weaker on MBPP than on ARC. "
        "Families above max_per_family train/val questions are subsampled by a stable "
        "hash, keeping every RouterBench row (C-Eval/CMMLU 6.8k -> 2.5k, ARC 5k -> 2.9k)."
    ),
}

# From bench/label_quality.py (quick MiniLM + text-feature logistic-regression proxy).
MEASURED = """\
Proxy: MiniLM embedding + 13 text features -> logistic regression on the soft labels
(`[feat]`: the 13 text features alone). `rb_test`: APGR GPT-4-1106 vs Mixtral-8x7B on
RouterBench test rows (random-score sd 0.026). `loso_apgr`: each RouterBench family
held out of training entirely, all its rows scored, pooled (sd 0.016). `loso_rho`: mean
Spearman, on each held-out family (GSM8K, MATH, HumanEval+JS, C-Eval/CMMLU,
RouterArena), between P(frontier) and the share of observed cheap models failing.

| labels | rb_test | loso_apgr | gsm8k | math | code | r.arena | loso_rho | [feat] |
|---|---|---|---|---|---|---|---|---|
| prompt length alone | 0.430 | 0.444 | 0.329 | 0.425 | 0.416 | 0.102 | 0.262 | - |
| hard 3-tier, RouterBench | 0.521 | 0.509 | -0.067 | -0.028 | 0.050 | 0.035 | 0.014 | -0.014 |
| IRT, RouterBench (11) | 0.545 | 0.485 | -0.069 | -0.029 | 0.119 | 0.133 | 0.048 | -0.037 |
| + small_models7 | 0.560 | 0.445 | 0.075 | 0.123 | 0.322 | 0.172 | 0.130 | 0.117 |
| + RouterArena | 0.565 | 0.472 | 0.102 | 0.256 | 0.300 | 0.172 | 0.154 | 0.136 |
| **+ Arena-Hard (default)** | 0.548 | 0.458 | 0.168 | 0.278 | 0.272 | 0.278 | 0.199 | 0.242 |
| no family cap | 0.557 | 0.473 | 0.163 | 0.323 | 0.274 | 0.284 | 0.208 | 0.234 |
| unsolved -> small | 0.529 | 0.474 | 0.194 | 0.257 | 0.028 | 0.275 | 0.143 | 0.231 |
| observed_weight 0 | 0.549 | 0.452 | 0.183 | 0.264 | 0.292 | 0.257 | 0.198 | 0.241 |
| family_centering 1 | 0.506 | 0.507 | 0.179 | 0.279 | 0.161 | 0.248 | 0.169 | 0.238 |
| no C-Eval/CMMLU | 0.555 | 0.468 | 0.173 | 0.315 | 0.237 | 0.271 | 0.200 | 0.247 |
| + 2k ShareGPT (flat) | 0.551 | 0.464 | 0.149 | 0.255 | 0.245 | 0.273 | 0.186 | 0.212 |

gsm8k/math/code/r.arena: held-out Spearman per family; `[feat]`: loso_rho of the
text-features-only proxy. Rows below the default change one knob of the default.

Conclusions. (1) What transfers to unseen families is the breadth of the outcome
evidence: hard 3-tier RouterBench labels teach nothing that carries over (loso_rho 0.01),
each added source raises it (0.05 -> 0.13 -> 0.15 -> 0.20), and the soft labels beat
the hard ones on RouterBench test too (0.548 vs 0.521, about one noise sd). (2) The
other knobs (cap, observed weight, where unsolved mass goes, family centring, Chinese
exams, ShareGPT) move the numbers by less than the noise, except that sending unsolved
mass to the small tier hurts code and centring hurts RouterBench test; the default keeps
the plain reading (cheapest sufficient tier, top tier when none). (3) Nothing trained on
this data ranks prompts *within* ARC, MBPP or Winogrande better than chance (held-out
APGR 0.45-0.55), and prompt length still ranks GSM8K/MATH/code prompts better than the
proxy; the proxy wins clearly on the diverse RouterArena mix (0.28-0.37 vs 0.10).
Rank-averaging the proxy's score with length (weight 0.3) raised held-out rho to
0.25/0.37/0.37 on GSM8K/MATH/code at a small cost on RouterArena (0.26) and RouterBench
test (0.525): a length prior is a cheap complement for the served model.
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
        "## Configuration",
        "",
        "```json",
        json.dumps(card["config"], indent=2),
        "```",
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
