"""The data card: ``datacard.json`` (machine), ``datacard.md`` (people) and a plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["render_markdown", "write_datacard"]


def write_datacard(
    out_dir: Path, card: dict[str, Any], labels: pl.DataFrame, tiers: tuple[str, ...]
) -> None:
    (out_dir / "datacard.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (out_dir / "datacard.md").write_text(render_markdown(card), encoding="utf-8")
    _plot(out_dir / "label_distribution.png", labels, tiers)


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return lines + [""]


def render_markdown(card: dict[str, Any]) -> str:
    counts = card["counts"]
    lines = [
        f"# Labeled dataset {card['dataset_version']}",
        "",
        f"Count invariant: `{counts['equation']}`: "
        f"{counts['input_records']} = {counts['labeled_groups']} + {counts['unlabeled_groups']}"
        f" + {counts['duplicates']} + {counts['feedback_joined']} + {counts['quarantined']}"
        f" ({'holds' if counts['holds'] else 'BROKEN'}).",
        "",
        f"Dedup rate: {card['dedup_rate']:.1%}; rejected files: {card['rejected_files']}; "
        f"mean confidence: {card['mean_confidence']:.3f}.",
        "",
        "## Records per source",
        "",
        *_table(("source", "records"), list(card["records_by_source"].items())),
        "## Labels and splits",
        "",
        *_table(("label", "groups"), list(card["labels"].items())),
        *_table(("split", "groups"), list(card["splits"].items())),
        "## Groups per source and label",
        "",
        *_table(
            ("source", "label", "groups"),
            [(r["source"], r["label"], r["len"]) for r in card["groups_by_source_label"]],
        ),
        "## Labeling functions",
        "",
        *_table(
            ("function", "votes", "coverage", "agreement"),
            [
                (name, f["votes"], f"{f['coverage']:.1%}", f"{f['agreement']:.1%}")
                for name, f in card["labeling_functions"].items()
            ],
        ),
        *_aggregation(card.get("aggregation", {})),
        *_near_duplicates(card.get("near_duplicates")),
        "## PII redactions (occurrences in the records' prompts, the only text written)",
        "",
        *_table(("kind", "replaced"), list(card["pii_redactions"].items()) or [("none", 0)]),
        "## Quarantine",
        "",
        *_table(("reason", "count"), list(card["quarantine_reasons"].items()) or [("none", 0)]),
    ]
    if "judge" in card:
        judge = card["judge"]
        lines += [
            "## LLM judge",
            "",
            f"{judge['calls']} calls, {judge['cache_hits']} cache hits, ${judge['cost_usd']:.4f}.",
            "",
        ]
    return "\n".join(lines)


def _aggregation(report: dict[str, Any]) -> list[str]:
    method = report.get("method", "vote")
    lines = ["## Aggregation", ""]
    if method == "vote":
        weights = report.get("weights", {})
        return lines + [
            "Weighted vote.",
            "",
            *_table(("function", "weight"), list(weights.items())),
        ]
    lines.append(f"Label model fitted on the `{report.get('anchor')}` function's votes.")
    if not report.get("fitted"):
        return lines + ["", f"Not fitted ({report.get('reason')}): weighted vote used.", ""]
    used = "used" if report.get("used") else f"not used ({report.get('reason')}): weighted vote"
    lines += [
        "",
        f"Trained on {report['trained_on']} groups (tiers {report['classes']}); "
        f"5-fold accuracy {report.get('cv_accuracy', 'n/a')} "
        f"vs {report['majority_share']} for the commonest tier; {used}.",
        "",
        "Learned weight per function (logit a vote for tier t adds to tier t):",
        "",
    ]
    return lines + _table(("function", "learned weight"), list(report["learned_weights"].items()))


def _near_duplicates(report: dict[str, Any] | None) -> list[str]:
    if report is None:
        return []
    lines = [
        "## Near-duplicate groups",
        "",
        f"MiniLM cosine >= {report['threshold']}: {report['groups_before']} exact groups -> "
        f"{report['groups_after']} ({report['merged_groups']} merged, "
        f"{report.get('records_in_merged_groups', 0)} records).",
        "",
    ]
    rows = [(e["kept"], e["merged"]) for e in report.get("examples", [])]
    clean = [tuple(t.replace("|", "/").replace("\n", " ") for t in row) for row in rows]
    return lines + (_table(("kept", "merged into it"), clean) if clean else [])


def _plot(target: Path, labels: pl.DataFrame, tiers: tuple[str, ...]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = labels.group_by("label").len()
    lookup = dict(zip(counts["label"].to_list(), counts["len"].to_list(), strict=True))
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.bar(list(tiers), [lookup.get(t, 0) for t in tiers], color="#4c72b0")
    axis.set_ylabel("groups")
    axis.set_title("label distribution")
    figure.tight_layout()
    figure.savefig(target, dpi=100)
    plt.close(figure)
