"""The labeling run: logs -> normalized records -> scrub -> dedup -> votes -> labels.

Memory stays bounded by the batch size in stage 1: each input batch is normalized,
scrubbed, keyed and written to a Parquet part; stage 2 scans the parts lazily and
aggregates them per dedup group with polars' streaming engine, so only one row per
distinct prompt is ever materialized.

Count invariant (checked at the end of every run, written to the data card)::

    input_records = labeled_groups + unlabeled_groups + duplicates
                    + feedback_joined + quarantined

``input_records`` counts non-blank JSONL lines and table rows; ``duplicates`` are
records that joined an existing group; ``feedback_joined`` are feedback records merged
into the request they rate (feedback naming no known request is quarantined).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from classifier import LABEL_COLUMNS
from labeling._adapters import ADAPTERS, Batch, ReadContext, detect_format
from labeling._aggregate import aggregate_votes, split_of
from labeling._functions import (
    LABELING_FUNCTIONS,
    JudgeFunction,
    JudgeLike,
    LabelingFunction,
    record_vote_column,
)
from labeling._reader import Quarantine
from labeling._schema import FEEDBACK_SCHEMA, TierMap
from labeling._scrub import add_group_id, scrub_frame
from labeling._stats import RunStats, dataset_version, group_stats
from policies import LabelingError, Policy, default_policy

__all__ = ["LabelConfig", "LabelResult", "run_labeling"]

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class LabelConfig:
    """Everything that changes the labels (hashed into the dataset version)."""

    format: str = "auto"
    scrub_pii: bool = True
    max_record_bytes: int = 8 << 20
    batch_size: int = 50_000
    functions: tuple[str, ...] = tuple(LABELING_FUNCTIONS)
    weights: Mapping[str, float] = field(default_factory=dict)
    judge_model: str | None = None
    judge_api_base: str | None = None

    def __post_init__(self) -> None:
        if self.format != "auto" and self.format not in ADAPTERS:
            known = ", ".join(["auto", *ADAPTERS])
            raise LabelingError(f"format: unknown {self.format!r}; expected one of {known}")
        unknown = sorted(set(self.functions) - set(LABELING_FUNCTIONS))
        if unknown:
            raise LabelingError(f"functions: unknown {unknown}; known {list(LABELING_FUNCTIONS)}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "scrub_pii": self.scrub_pii,
            "max_record_bytes": self.max_record_bytes,
            "functions": list(self.functions),
            "weights": dict(self.weights),
            "judge_model": self.judge_model,
        }


@dataclass(frozen=True)
class LabelResult:
    out_dir: Path
    labels_path: Path
    card: dict[str, Any]


def run_labeling(
    inputs: Sequence[Path],
    out_dir: Path,
    config: LabelConfig | None = None,
    *,
    policy: Policy | None = None,
    judge: JudgeLike | None = None,
    progress: Progress | None = None,
) -> LabelResult:
    """Label ``inputs`` into ``out_dir`` (labels.parquet, quarantine.jsonl, data card)."""
    from labeling._datacard import write_datacard

    config = config or LabelConfig()
    policy = policy or default_policy()
    tiers = TierMap.from_policy(policy)
    missing = [str(p) for p in inputs if not Path(p).is_file()]
    if missing:
        raise LabelingError(f"input not found: {', '.join(missing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = out_dir / "_parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir()
    stats = RunStats(version=dataset_version(inputs, config.as_dict(), policy.fingerprint))
    try:
        with Quarantine(out_dir / "quarantine.jsonl") as quarantine:
            ctx = ReadContext(tiers, quarantine, config.max_record_bytes, config.batch_size)
            feedback = _read_inputs(inputs, config, ctx, parts, stats, progress)
            records = _join_feedback(parts, feedback, quarantine, stats)
            groups = _group(records, tiers, config)
        functions = _functions(config, judge)
        labels = _label(groups, functions, tiers, config, stats)
        stats.quarantined = quarantine.records
        stats.rejected_files = quarantine.files
        stats.quarantine_reasons = dict(quarantine.reasons)
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    labels_path = out_dir / "labels.parquet"
    labels.write_parquet(labels_path)
    card = stats.to_card(labels, judge)
    write_datacard(out_dir, card, labels, tiers.tiers)
    return LabelResult(out_dir=out_dir, labels_path=labels_path, card=card)


def _read_inputs(
    inputs: Sequence[Path],
    config: LabelConfig,
    ctx: ReadContext,
    parts: Path,
    stats: RunStats,
    progress: Progress | None,
) -> list[dict[str, Any]]:
    feedback: list[dict[str, Any]] = []
    part = 0
    for path in map(Path, inputs):
        try:
            name = config.format if config.format != "auto" else detect_format(path)
            if name is None:
                ctx.quarantine.reject_file(path, "empty file")
                continue
            for batch in ADAPTERS[name].read(path, ctx):
                _write_part(batch, parts / f"{part:06d}.parquet", part, config, stats)
                feedback.extend(dict(f, source=str(path)) for f in batch.feedback)
                part += 1
                if progress is not None:
                    progress(path.name, batch.n_input)
        except LabelingError as exc:
            ctx.quarantine.reject_file(path, str(exc))
        except OSError as exc:
            ctx.quarantine.reject_file(path, f"cannot read: {exc}")
    return feedback


def _write_part(
    batch: Batch, target: Path, part: int, config: LabelConfig, stats: RunStats
) -> None:
    stats.input_records += batch.n_input
    if not batch.n_records:
        return
    frame = batch.to_frame()
    if config.scrub_pii:
        frame = scrub_frame(frame, stats.pii)
    frame = add_group_id(frame).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + part * (1 << 32)).alias("seq")
    )
    stats.records_by_source.update(frame["source"].to_list())
    frame.write_parquet(target)


def _join_feedback(
    parts: Path, feedback: list[dict[str, Any]], quarantine: Quarantine, stats: RunStats
) -> pl.LazyFrame:
    if not any(parts.iterdir()):
        raise LabelingError("no usable records in the inputs (see quarantine.jsonl)")
    records = pl.scan_parquet(parts / "*.parquet")
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


def _functions(config: LabelConfig, judge: JudgeLike | None) -> list[LabelingFunction]:
    chosen = [LABELING_FUNCTIONS[name] for name in config.functions]
    if judge is not None:
        chosen.append(JudgeFunction(judge))
    return chosen


def _group(records: pl.LazyFrame, tiers: TierMap, config: LabelConfig) -> pl.DataFrame:
    votes = {
        record_vote_column(name): expr
        for name in config.functions
        if (expr := LABELING_FUNCTIONS[name].record_vote(tiers)) is not None
    }
    aggs = [
        pl.col("prompt").sort_by("seq").first().alias("text"),
        pl.col("source").sort_by("seq").first().alias("source"),
        pl.len().cast(pl.Int64).alias("n_records"),
        *(pl.col(name).max() for name in votes),
    ]
    grouped = records.with_columns(**votes).group_by("group_id").agg(aggs)
    return grouped.collect(engine="streaming").sort("group_id")


def _label(
    groups: pl.DataFrame,
    functions: list[LabelingFunction],
    tiers: TierMap,
    config: LabelConfig,
    stats: RunStats,
) -> pl.DataFrame:
    votes = {f.name: f.group_vote(groups, tiers) for f in functions}
    weights = {f.name: config.weights.get(f.name, f.weight) for f in functions}
    agg = aggregate_votes(votes, weights, groups.height, len(tiers.tiers))
    frame = pl.concat([groups, agg], how="horizontal")
    labeled = frame.filter(pl.col("n_votes") > 0)
    group_stats(stats, frame, votes)
    names = dict(enumerate(tiers.tiers))
    labeled = labeled.with_columns(
        pl.col("label_index").replace_strict(names, return_dtype=pl.String).alias("label"),
        pl.Series("split", [split_of(g) for g in labeled["group_id"]], dtype=pl.String),
    )
    return labeled.select(pl.col(name).cast(dtype) for name, dtype in LABEL_DTYPES.items())


LABEL_DTYPES: dict[str, pl.DataType] = {
    name: {
        "String": pl.String(),
        "Int32": pl.Int32(),
        "Int64": pl.Int64(),
        "Float64": pl.Float64(),
        "List(Float64)": pl.List(pl.Float64),
        "List(String)": pl.List(pl.String),
    }[dtype]
    for name, (dtype, _meaning) in LABEL_COLUMNS.items()
}
