"""The default training set: the shared public data -> ``labels.parquet`` + data card.

    >>> from labeling import build_shared_dataset
    >>> build_shared_dataset(Path("build/labels"))  # reads ../shared/data

Steps: read every labeled source (:mod:`labeling.shared._sources`) -> link the same
question across sources (identical normalized text, or the same ARC/MBPP question
stem in small_models7 and RouterBench) -> one group per question with the union of
its outcomes -> soft labels from one item-response model (:mod:`labeling.shared._soft_labels`)
-> balance families -> PII scrub -> ``group_id`` (hash of the normalized text) and
split -> ``labels.parquet`` (the column contract of ``classifier._contract``, plus
``family``, ``n_outcomes`` and the observed GPT-4/Mixtral outcomes for routing
metrics) and ``datacard.md``/``datacard.json``.

Splits: every group that contains a RouterBench *test* row (or whose question stem
matches one) is ``test`` and never trained on; the rest is 80/10/10 by a stable hash
of ``group_id`` (:func:`labeling.split_of`).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from classifier import LABEL_SCHEMA, write_label_parquet
from labeling._aggregate import split_of
from labeling._scrub import add_group_id, scrub_frame
from labeling.shared._soft_labels import SoftLabelConfig, soft_labels
from labeling.shared._sources import SourceItem, read_shared_sources
from policies import LabelingError

__all__ = ["SharedDataConfig", "build_shared_dataset", "build_shared_frame"]

TIERS = ("small", "medium", "frontier")
# which item's text a linked group shows: the source the classifier is evaluated on first
_TEXT_PRIORITY = ("routerbench", "routerarena", "small_models7", "arena_hard", "sharegpt")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SharedDataConfig:
    """Everything that changes the dataset (hashed into its version)."""

    sources: tuple[str, ...] | None = None  # routerbench, small_models7, ... (None: all)
    families: tuple[str, ...] | None = None  # keep only these families (None: all)
    exclude_families: tuple[str, ...] = ()
    sharegpt: int = 0  # ShareGPT first turns added with the no-outcome prior (0: none)
    max_per_family: int | None = 2500  # stable-hash subsample of bigger families' train rows
    scrub_pii: bool = True
    labels: SoftLabelConfig = field(default_factory=SoftLabelConfig)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"]["anchors"] = dict(self.labels.anchors)
        data["labels"]["no_outcome_probs"] = dict(self.labels.no_outcome_probs)
        return data


def build_shared_dataset(
    out_dir: Path,
    data_dir: Path | None = None,
    config: SharedDataConfig | None = None,
    *,
    progress: Progress | None = None,
) -> Path:
    """Write ``labels.parquet`` and the data card to ``out_dir``; return the parquet path."""
    from labeling.shared._card import write_shared_card

    config = config or SharedDataConfig()
    frame, card = build_shared_frame(data_dir, config, progress=progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "labels.parquet"
    write_label_parquet(frame, target, TIERS)
    write_shared_card(out_dir, card, frame)
    return target


def build_shared_frame(
    data_dir: Path | None = None,
    config: SharedDataConfig | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The labeled frame (one row per question) and the data card's facts."""
    from classifier import shared_data_dir

    config = config or SharedDataConfig()
    note = progress or (lambda _message: None)
    root = data_dir or shared_data_dir()
    if not root.is_dir():
        raise LabelingError(f"{root}: shared data folder not found (set TIERROUTE_SHARED_DATA)")
    note(f"reading {root}")
    items = read_shared_sources(root, config.sharegpt)
    records_by_source = Counter(item.source for item in items)
    items = [i for i in items if _wanted(i, config)]
    note(f"linking {len(items):,} prompts across sources")
    groups = _link(items)
    note(f"fitting soft labels for {len(groups):,} questions")
    frame, abilities = _label(groups, config)
    labeled = frame.height
    frame = _balance(frame, config.max_per_family)
    pii: Counter[str] = Counter()
    frame = _finish(frame, config.scrub_pii, pii)
    card = {
        "dataset_version": _version(records_by_source, config),
        "config": config.as_dict(),
        "records_by_source": dict(sorted(records_by_source.items())),
        "counts": {
            "input_records": sum(records_by_source.values()),
            "kept_records": len(items),
            "questions": len(groups),
            "linked_across_sources": sum(
                len({i.source.split("/")[0] for i in g.items}) > 1 for g in groups
            ),
            "labeled_questions": labeled,
            "dropped_by_balance": labeled - frame.height,
            "rows": frame.height,
        },
        "abilities": dict(sorted(abilities.items(), key=lambda kv: kv[1])),
        "pii_redactions": dict(pii),
    }
    return frame, card


def _wanted(item: SourceItem, config: SharedDataConfig) -> bool:
    if config.sources is not None and item.source.split("/")[0] not in config.sources:
        return False
    if config.families is not None and item.family not in config.families:
        return False
    return item.family not in config.exclude_families


@dataclass
class _Group:
    items: list[SourceItem]
    test: bool = False  # holds (or matches) a RouterBench test row


def _link(items: Sequence[SourceItem]) -> list[_Group]:
    """Union-find over identical normalized text and RouterBench question stems."""
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_text: dict[str, int] = {}
    stems: dict[str, set[int]] = defaultdict(set)
    for i, item in enumerate(items):
        first = by_text.setdefault(_normalized(item.text), i)
        parent[find(i)] = find(first)
        if item.routerbench_split is not None and item.stem:
            stems[item.stem].add(find(i))
    tainted: set[str] = set()  # stems of RouterBench test rows
    for i, item in enumerate(items):
        if item.routerbench_split == "test" and item.stem:
            tainted.add(item.stem)
        targets = {find(t) for t in stems.get(item.stem or "", set())}
        if item.routerbench_split is None and len(targets) == 1:
            parent[find(i)] = targets.pop()  # one RouterBench question: same prompt
    members: dict[int, list[SourceItem]] = defaultdict(list)
    for i, item in enumerate(items):
        members[find(i)].append(item)
    groups = []
    for root in sorted(members):
        group = members[root]
        test = any(i.routerbench_split == "test" or (i.stem in tainted) for i in group)
        groups.append(_Group(items=group, test=test))
    return groups


def _normalized(text: str) -> str:
    return " ".join(text.lower().split())


def _merged_outcomes(group: _Group) -> dict[str, float]:
    values: dict[str, list[float]] = defaultdict(list)
    for item in group.items:
        for model, value in item.outcomes.items():
            values[model].append(value)
    return {m: float(np.mean(v)) for m, v in sorted(values.items())}


def _representative(group: _Group) -> SourceItem:
    def rank(item: SourceItem) -> tuple[int, str, str]:
        return (_TEXT_PRIORITY.index(item.source.split("/")[0]), item.source, item.text)

    return min(group.items, key=rank)


def _label(
    groups: Sequence[_Group], config: SharedDataConfig
) -> tuple[pl.DataFrame, dict[str, float]]:
    outcomes = [_merged_outcomes(g) for g in groups]
    families = [_representative(g).family for g in groups]
    labels = soft_labels(outcomes, config.labels, families)
    tier_models = config.labels.tier_models
    rows = []
    for g, outcome, probs, conf in zip(
        groups, outcomes, labels.tier_probs, labels.confidence, strict=True
    ):
        if np.isnan(probs).any():
            continue
        first = _representative(g)
        rows.append(
            {
                "prompt": first.text,
                "tier_probs": [float(p) for p in probs],
                "label_index": int(2 - np.argmax(probs[::-1])),  # ties: the more capable tier
                "confidence": float(conf),
                "voters": _voters(g),
                "n_records": len(g.items),
                "source": first.source,
                "family": first.family,
                "forced_test": g.test,
                "n_outcomes": len(outcome),
                "medium_correct": outcome.get(tier_models[1]),
                "frontier_correct": outcome.get(tier_models[2]),
            }
        )
    if not rows:
        raise LabelingError("no labeled prompt in the shared data (check --data-dir)")
    return pl.DataFrame(rows, schema=_WORK_SCHEMA), labels.abilities


_WORK_SCHEMA: dict[str, pl.DataType] = {
    "prompt": pl.String(),
    "tier_probs": pl.List(pl.Float64()),
    "label_index": pl.Int32(),
    "confidence": pl.Float64(),
    "voters": pl.List(pl.String),
    "n_records": pl.Int64(),
    "source": pl.String(),
    "family": pl.String(),
    "forced_test": pl.Boolean(),
    "n_outcomes": pl.Int64(),
    "medium_correct": pl.Float64(),
    "frontier_correct": pl.Float64(),
}


def _voters(group: _Group) -> list[str]:
    kinds = {item.source.split("/")[0] for item in group.items}
    named = {
        "routerbench": "routerbench_outcomes",
        "small_models7": "small_models7_scores",
        "routerarena": "routerarena_scores",
        "arena_hard": "arena_hard_prior",
        "sharegpt": "sharegpt_prior",
    }
    return sorted(named[k] for k in kinds)


def _stable_rank(text: str) -> int:
    return int(hashlib.blake2b(b"balance:" + text.encode(), digest_size=8).hexdigest(), 16)


def _balance(frame: pl.DataFrame, cap: int | None) -> pl.DataFrame:
    """Keep at most ``cap`` non-test questions per family (a stable hash picks which)."""
    if cap is None:
        return frame
    ranked = frame.with_columns(
        pl.col("prompt").map_elements(_stable_rank, return_dtype=pl.UInt64).alias("_rank")
    )
    # rows with RouterBench outcomes (the only ones with all three tiers observed) first
    ranked = ranked.with_columns(
        pl.struct(pl.col("frontier_correct").is_null(), "_rank")
        .rank("ordinal")
        .over(["family", "forced_test"])
        .alias("_pos")
    )
    kept = ranked.filter(pl.col("forced_test") | (pl.col("_pos") <= cap))
    return kept.drop("_rank", "_pos")


def _finish(frame: pl.DataFrame, scrub: bool, pii: Counter[str]) -> pl.DataFrame:
    work = frame.with_columns(
        pl.lit(None, pl.String).alias("response"), pl.lit(None, pl.String).alias("messages")
    )
    if scrub:
        work = scrub_frame(work, pii)
    work = add_group_id(work).unique("group_id", keep="first", maintain_order=True)
    split = [
        "test" if forced else split_of(g)
        for g, forced in zip(work["group_id"], work["forced_test"], strict=True)
    ]
    work = work.with_columns(
        pl.col("prompt").alias("text"),
        pl.col("label_index")
        .replace_strict(dict(enumerate(TIERS)), return_dtype=pl.String)
        .alias("label"),
        pl.Series("split", split, dtype=pl.String),
    )
    contract = [pl.col(name).cast(dtype) for name, dtype in LABEL_SCHEMA.items()]
    extra = ["family", "n_outcomes", "medium_correct", "frontier_correct"]
    return work.select(*contract, *extra).sort("group_id")


def _version(records: Counter[str], config: SharedDataConfig) -> str:
    digest = hashlib.blake2b(digest_size=8)
    digest.update(repr(sorted(records.items())).encode())
    digest.update(repr(sorted(config.as_dict().items())).encode())
    return digest.hexdigest()
