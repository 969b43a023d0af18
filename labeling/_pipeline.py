"""The labeling run: logs -> normalized records -> scrub -> dedup -> votes -> labels.

Memory stays bounded by the batch size in stage 1 (``_parts``): each input batch is
normalized, keyed by prompt hash and written to a small Parquet part without text;
each distinct prompt is scrubbed, given its dedup key and voted on by the text
functions once, when first seen (``_distinct``, in worker processes). Stage 2 scans
the parts lazily and aggregates them per dedup group with polars' streaming engine,
without the texts; the texts join the labels only when ``labels.parquet`` is written
(one part at a time), unless the judge or near-duplicate grouping needs them in memory.

Count invariant (checked at the end of every run, written to the data card)::

    input_records = labeled_groups + unlabeled_groups + duplicates
                    + feedback_joined + quarantined

``input_records`` counts non-blank JSONL lines and table rows; ``duplicates`` are
records that joined an existing group (exact or near duplicates); ``feedback_joined``
are feedback records merged into the request they rate (feedback naming no known
request is quarantined).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from classifier import LABEL_SCHEMA, label_metadata, write_label_parquet
from labeling._aggregate import split_of
from labeling._distinct import KEYS, DistinctPrompts, pii_column, prompts_glob
from labeling._functions import (
    LABELING_FUNCTIONS,
    JudgeFunction,
    JudgeLike,
    LabelingFunction,
    TextFunction,
    record_vote_column,
)
from labeling._label_model import AGGREGATORS
from labeling._neardup import merge_groups
from labeling._parts import PartWriter, records_glob
from labeling._scrub import PII_KINDS
from labeling._stats import RunStats, dataset_version, group_stats
from labeling.ingest import (
    ADAPTERS,
    FEEDBACK_SCHEMA,
    Quarantine,
    ReadContext,
    TierMap,
    detect_format,
    expand_inputs,
)
from policies import LabelingError, Policy, default_policy

__all__ = ["LabelConfig", "LabelResult", "run_labeling"]

Progress = Callable[[str, int], None]
_ALWAYS_READ = ("prompt", "request_id", "feedback", "source")


@dataclass(frozen=True)
class LabelConfig:
    """Everything that changes the labels (hashed into the dataset version)."""

    format: str = "auto"
    scrub_pii: bool = True
    max_record_bytes: int = 8 << 20
    batch_size: int = 20_000
    functions: tuple[str, ...] = tuple(LABELING_FUNCTIONS)
    weights: Mapping[str, float] = field(default_factory=dict)
    judge_model: str | None = None
    judge_api_base: str | None = None
    aggregate: str = "vote"
    near_dup: float | None = None

    def __post_init__(self) -> None:
        if self.format != "auto" and self.format not in ADAPTERS:
            known = ", ".join(["auto", *ADAPTERS])
            raise LabelingError(f"format: unknown {self.format!r}; expected one of {known}")
        unknown = sorted(set(self.functions) - set(LABELING_FUNCTIONS))
        if unknown:
            raise LabelingError(f"functions: unknown {unknown}; known {list(LABELING_FUNCTIONS)}")
        known_names = {*LABELING_FUNCTIONS, JudgeFunction.name}
        for name, weight in self.weights.items():
            if name not in known_names:
                raise LabelingError(
                    f"weights: unknown function {name!r}; known {sorted(known_names)}"
                )
            if not weight >= 0:
                raise LabelingError(f"weights: {name}: expected a weight >= 0, got {weight}")
        if self.aggregate not in AGGREGATORS:
            raise LabelingError(
                f"aggregate: unknown {self.aggregate!r}; expected one of {', '.join(AGGREGATORS)}"
            )
        if self.near_dup is not None and not 0.0 < self.near_dup <= 1.0:
            raise LabelingError(
                f"near_dup: expected a cosine threshold in (0, 1], got {self.near_dup}"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "scrub_pii": self.scrub_pii,
            "max_record_bytes": self.max_record_bytes,
            "functions": list(self.functions),
            "weights": dict(self.weights),
            "judge_model": self.judge_model,
            "aggregate": self.aggregate,
            "near_dup": self.near_dup,
        }


@dataclass(frozen=True)
class LabelResult:
    out_dir: Path
    labels_path: Path
    card: dict[str, Any]


def default_workers() -> int:
    """Worker processes for the text heuristics: one per core, at most four."""
    return max(1, min(os.cpu_count() or 1, 4))


def run_labeling(
    inputs: Sequence[Path],
    out_dir: Path,
    config: LabelConfig | None = None,
    *,
    policy: Policy | None = None,
    judge: JudgeLike | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> LabelResult:
    """Label ``inputs`` into ``out_dir`` (labels.parquet, quarantine.jsonl, data card).

    ``workers``: processes that run the text heuristics on big batches (0: in-process;
    default :func:`default_workers`). It changes the speed, never the labels.
    """
    from labeling._datacard import write_datacard

    config = config or LabelConfig()
    policy = policy or default_policy()
    tiers = TierMap.from_policy(policy)
    inputs = expand_inputs(inputs)  # a directory: the log files under it
    missing = [str(p) for p in inputs if not Path(p).is_file()]
    if missing:
        raise LabelingError(f"input not found: {', '.join(missing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = out_dir / "_parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir()
    stats = RunStats(version="")
    hashing = ThreadPoolExecutor(1)  # hashlib frees the GIL: the inputs hash while parsing
    version = hashing.submit(dataset_version, inputs, config.as_dict(), policy.fingerprint)
    functions = _functions(config, judge)
    prompts = DistinctPrompts(
        tuple(f for f in functions if isinstance(f, TextFunction)),
        tiers,
        config.scrub_pii,
        parts,
        default_workers() if workers is None else workers,
    )
    labels_path = out_dir / "labels.parquet"
    try:
        with Quarantine(out_dir / "quarantine.jsonl") as quarantine:
            writer = PartWriter(parts, _read_columns(functions, tiers), stats, prompts)
            ctx = ReadContext(
                tiers,
                quarantine,
                config.max_record_bytes,
                config.batch_size,
                frozenset(writer.columns),
            )
            feedback = _read_inputs(inputs, config, ctx, writer, progress)
            records = _join_feedback(parts, feedback, quarantine, stats)
            groups = _group(records, tiers, config, prompts.finish(), stats)
            groups = groups.with_columns(
                (pl.col("first_seq") // (1 << 32))
                .replace_strict(writer.sources, return_dtype=pl.String)
                .alias("source")
            )
        stats.quarantined = quarantine.records
        stats.rejected_files = quarantine.files
        stats.quarantine_reasons = dict(quarantine.reasons)
        groups = _merge_near_duplicates(groups, parts, config, stats)
        if judge is not None:
            groups = _with_texts(groups, parts)
        labels = _label(groups, functions, tiers, config, stats)
        _write_labels(labels, parts, labels_path, tiers.tiers)
        stats.version = version.result()
    finally:
        hashing.shutdown(wait=True, cancel_futures=True)
        prompts.close()
        shutil.rmtree(parts, ignore_errors=True)
    card = stats.to_card(labels, judge)
    write_datacard(out_dir, card, labels, tiers.tiers)
    return LabelResult(out_dir=out_dir, labels_path=labels_path, card=card)


def _functions(config: LabelConfig, judge: JudgeLike | None) -> list[LabelingFunction]:
    chosen = [LABELING_FUNCTIONS[name] for name in config.functions]
    if judge is not None:
        chosen.append(JudgeFunction(judge))
    return chosen


def _read_columns(functions: list[LabelingFunction], tiers: TierMap) -> tuple[str, ...]:
    """The record columns stage 2 reads: the record votes' inputs and the keys."""
    names = set(_ALWAYS_READ)
    for function in functions:
        expr = function.record_vote(tiers)
        if expr is not None:
            names.update(expr.meta.root_names())
    return tuple(sorted(names))


def _read_inputs(
    inputs: Sequence[Path],
    config: LabelConfig,
    ctx: ReadContext,
    writer: PartWriter,
    progress: Progress | None,
) -> list[dict[str, Any]]:
    feedback: list[dict[str, Any]] = []
    for path in map(Path, inputs):
        try:
            name = config.format if config.format != "auto" else detect_format(path)
            if name is None:
                ctx.quarantine.reject_file(path, "empty file")
                continue
            for batch in ADAPTERS[name].read(path, ctx):
                writer.write(batch)
                feedback.extend(dict(f, source=str(path)) for f in batch.feedback)
                if progress is not None:
                    progress(path.name, batch.n_input)
        except LabelingError as exc:
            ctx.quarantine.reject_file(path, str(exc))
        except OSError as exc:
            ctx.quarantine.reject_file(path, f"cannot read: {exc}")
    return feedback


def _join_feedback(
    parts: Path, feedback: list[dict[str, Any]], quarantine: Quarantine, stats: RunStats
) -> pl.LazyFrame:
    if not any(parts.glob("records_*.parquet")):
        raise LabelingError("no usable records in the inputs (see quarantine.jsonl)")
    records = pl.scan_parquet(records_glob(parts))
    if not feedback:
        return records
    ratings = pl.DataFrame(
        [{k: f.get(k) for k in FEEDBACK_SCHEMA} for f in feedback], schema=FEEDBACK_SCHEMA
    )
    known = records.select("request_id").drop_nulls().unique().collect(engine="streaming")
    orphans = ratings.join(known, on="request_id", how="anti")
    for row in orphans.iter_rows(named=True):
        quarantine.add(row["source"], 0, "feedback for unknown request_id", str(row))
    stats.feedback_joined = ratings.height - orphans.height
    latest = ratings.unique("request_id", keep="last").select("request_id", "rating")
    joined = records.join(latest.lazy(), on="request_id", how="left")
    return joined.with_columns(pl.coalesce("rating", "feedback").alias("feedback")).drop("rating")


def _group(
    records: pl.LazyFrame,
    tiers: TierMap,
    config: LabelConfig,
    prompts: pl.LazyFrame,
    stats: RunStats,
) -> pl.DataFrame:
    """One row per dedup group (no text): first record, size, record and text votes.

    Records aggregate per exact prompt first; prompts then merge per ``group_id``
    (case, whitespace and PII variants), keeping the earliest prompt's text votes.
    """
    votes = {
        record_vote_column(name): expr
        for name in config.functions
        if (expr := LABELING_FUNCTIONS[name].record_vote(tiers)) is not None
    }
    per_prompt = (
        records.with_columns(**votes)
        .group_by(KEYS)
        .agg(
            pl.col("seq").min().alias("first_seq"),
            pl.len().cast(pl.Int64).alias("n_records"),
            *(pl.col(name).max() for name in votes),
        )
        .join(prompts.drop("text", "seq"), on=list(KEYS), how="left")
        .collect(engine="streaming")
    )
    for kind in PII_KINDS:
        column = per_prompt[pii_column(kind)] * per_prompt["n_records"]
        if found := int(column.sum()):
            stats.pii[kind] += found
    per_prompt = per_prompt.drop(*KEYS, *(pii_column(k) for k in PII_KINDS))
    shared = per_prompt["group_id"].is_duplicated()
    if shared.any():  # variants of one prompt: the earliest one's text votes
        merged = merge_groups(per_prompt.filter(shared).sort("first_seq"), "group_id")
        per_prompt = pl.concat([per_prompt.filter(~shared), merged.select(per_prompt.columns)])
    return per_prompt.sort("first_seq")


def _texts(parts: Path) -> pl.LazyFrame:
    """``group_id``, ``first_seq``, ``text`` of every distinct prompt."""
    prompts = pl.scan_parquet(prompts_glob(parts))
    return prompts.select("group_id", pl.col("seq").alias("first_seq"), "text")


def _with_texts(groups: pl.DataFrame, parts: Path) -> pl.DataFrame:
    if "text" in groups.columns:
        return groups
    keys = groups.select("group_id", "first_seq").lazy()
    texts = _texts(parts).join(keys, on=["group_id", "first_seq"], how="semi")
    found = texts.collect(engine="streaming")
    return groups.join(found, on=["group_id", "first_seq"], how="left", maintain_order="left")


def _merge_near_duplicates(
    groups: pl.DataFrame, parts: Path, config: LabelConfig, stats: RunStats
) -> pl.DataFrame:
    if config.near_dup is None:
        return groups
    from labeling._neardup import merge_near_duplicates

    groups, report = merge_near_duplicates(_with_texts(groups, parts), config.near_dup)
    stats.near_dup = report
    return groups


def _label(
    groups: pl.DataFrame,
    functions: list[LabelingFunction],
    tiers: TierMap,
    config: LabelConfig,
    stats: RunStats,
) -> pl.DataFrame:
    votes = {f.name: f.group_vote(groups, tiers) for f in functions}
    weights = {f.name: config.weights.get(f.name, f.weight) for f in functions}
    aggregator = AGGREGATORS[config.aggregate]
    aggregation = aggregator.aggregate(votes, weights, groups.height, len(tiers.tiers))
    stats.aggregation = aggregation.report
    frame = pl.concat([groups, aggregation.frame], how="horizontal")
    labeled = frame.filter(pl.col("n_votes") > 0)
    group_stats(stats, frame, votes)
    names = dict(enumerate(tiers.tiers))
    keep = [c for c in ("first_seq", "text") if c in labeled.columns]
    return labeled.with_columns(
        pl.col("label_index").replace_strict(names, return_dtype=pl.String).alias("label"),
        pl.Series("split", [split_of(g) for g in labeled["group_id"]], dtype=pl.String),
    ).select(*keep, *(c for c in LABEL_SCHEMA if c != "text"))


def _write_labels(labels: pl.DataFrame, parts: Path, path: Path, tiers: tuple[str, ...]) -> None:
    """Write the contract columns, in order of first appearance in the input, with the
    tier order and contract version in the file's metadata.

    Without texts in ``labels``, the parts are read one at a time and their groups'
    first texts joined in: one part's texts in memory at once, whatever the input size.
    """
    columns = [pl.col(name).cast(dtype) for name, dtype in LABEL_SCHEMA.items()]
    if "text" in labels.columns:
        write_label_parquet(labels.sort("first_seq").select(columns), path, tiers)
        return
    import pyarrow.parquet as pq

    labels = labels.sort("first_seq")
    starts = labels["first_seq"].to_numpy()
    empty = labels.head(0).with_columns(pl.lit(None, pl.String).alias("text")).select(columns)
    schema = empty.to_arrow().schema.with_metadata(label_metadata(tiers))
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for part in sorted(parts.glob("prompts_*.parquet")):
            index = int(part.stem.split("_")[1])  # part i holds seq i << 32 ... (i + 1) << 32
            low, high = np.searchsorted(starts, [index << 32, (index + 1) << 32])
            if low == high:
                continue
            texts = pl.read_parquet(part, columns=["group_id", "seq", "text"])
            firsts = texts.rename({"seq": "first_seq"})
            chunk = labels.slice(low, high - low).join(
                firsts, on=["group_id", "first_seq"], how="left", maintain_order="left"
            )
            writer.write_table(chunk.select(columns).to_arrow())
