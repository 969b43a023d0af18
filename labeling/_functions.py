"""Labeling functions: each votes a tier (an index into the policy's tiers) or abstains.

A :class:`LabelingFunction` may look at records and at groups:

- ``record_vote`` returns a polars expression over the normalized records giving a tier
  index per record (null = abstain); the pipeline aggregates it per dedup group with
  ``max`` (the most capable tier any record asks for: the safe side);
- ``group_vote`` returns, per group, ``vote`` (Int32, null = abstain) and ``conf``.

Record-based functions read outcomes, escalations, feedback and errors; heuristic ones
read only the text and vote with low confidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import polars as pl

from labeling.ingest import TierMap
from router import DETECTORS, estimate_tokens

__all__ = [
    "LABELING_FUNCTIONS",
    "JudgeFunction",
    "JudgeLike",
    "LabelingFunction",
    "TextFunction",
    "clip",
    "detector_column",
    "record_vote_column",
    "text_vote_column",
]


class LabelingFunction(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def weight(self) -> float:
        """Default weight in the vote; the config may override it."""
        ...

    def record_vote(self, tiers: TierMap) -> pl.Expr | None: ...

    def group_vote(self, groups: pl.DataFrame, tiers: TierMap) -> pl.DataFrame: ...


def record_vote_column(name: str) -> str:
    return f"rv_{name}"


def _tier_index(expr: pl.Expr, tiers: TierMap) -> pl.Expr:
    mapping = {t: i for i, t in enumerate(tiers.tiers)}
    return expr.replace_strict(mapping, default=None, return_dtype=pl.Int32)


def _votes(vote: pl.Series, conf: float) -> pl.DataFrame:
    frame = pl.DataFrame({"vote": vote.cast(pl.Int32)})
    given = pl.when(pl.col("vote").is_not_null()).then(pl.lit(conf, pl.Float64))
    return frame.with_columns(given.alias("conf"))


@dataclass(frozen=True)
class _RecordFunction:
    """Shared ``group_vote`` of record-based functions: the aggregated column, fixed conf."""

    name: str
    weight: float
    confidence: float
    build: Callable[[TierMap], pl.Expr]

    def record_vote(self, tiers: TierMap) -> pl.Expr | None:
        return self.build(tiers)

    def group_vote(self, groups: pl.DataFrame, tiers: TierMap) -> pl.DataFrame:
        return _votes(groups[record_vote_column(self.name)], self.confidence)


def _outcome_vote(tiers: TierMap) -> pl.Expr:
    """Cheapest tier whose model scored >= 0.5; the *cheapest* tier if none did.

    A tier is voted only where it succeeds and every cheaper tier observed failed. A
    request no observed tier answers gains nothing from paying more, so it is voted to
    the cheapest tier, never the top one (needs outcomes of >= 2 tiers).
    """
    element = pl.element()
    index = _tier_index(element.struct.field("tier"), tiers)
    correct = pl.col("outcomes").list.eval(
        pl.when(element.struct.field("score") >= 0.5).then(index)
    )
    seen = pl.col("outcomes").list.eval(index.drop_nulls()).list.n_unique()
    cheapest = correct.list.drop_nulls().list.min()
    return (
        pl.when(seen.fill_null(0) < 2)
        .then(None)
        .when(cheapest.is_not_null())
        .then(cheapest)
        .otherwise(0)
    ).cast(pl.Int32)


def _escalation_vote(tiers: TierMap) -> pl.Expr:
    """Served by a higher tier than first attempted: that tier was needed."""
    first, final = _tier_index(pl.col("first_tier"), tiers), _tier_index(pl.col("tier"), tiers)
    return pl.when(final > first).then(final).cast(pl.Int32)


def _feedback_vote(tiers: TierMap) -> pl.Expr:
    """Thumbs up on tier t: t suffices. Thumbs down on t: one tier up."""
    index = _tier_index(pl.col("tier"), tiers)
    top = len(tiers.tiers) - 1
    up = pl.when(pl.col("feedback") == 1).then(index)
    return up.when(pl.col("feedback") == -1).then(pl.min_horizontal(index + 1, top)).cast(pl.Int32)


def _failure_vote(tiers: TierMap) -> pl.Expr:
    """An error or a truncated answer (finish_reason "length") below the top: one tier up."""
    index = _tier_index(pl.col("tier"), tiers)
    failed = (pl.col("status") == "error") | (pl.col("finish_reason") == "length")
    return pl.when(failed & (index < len(tiers.tiers) - 1)).then(index + 1).cast(pl.Int32)


def text_vote_column(name: str) -> str:
    """Column holding a text function's precomputed vote per group (its conf is fixed)."""
    return f"tv_{name}"


@dataclass(frozen=True)
class TextFunction:
    """A heuristic on the prompt text alone: ``build`` gives the tier name (null = abstain).

    Being a function of the text only, it runs once per distinct prompt while the input
    is read (``labeling._distinct``); ``group_vote`` then reads that ``tv_`` column.
    ``build`` must be picklable (a module-level function or a small dataclass): large
    batches are computed in worker processes.
    """

    name: str
    weight: float
    confidence: float
    build: Callable[[pl.DataFrame, TierMap], pl.Series]

    def record_vote(self, tiers: TierMap) -> pl.Expr | None:
        return None

    def group_vote(self, groups: pl.DataFrame, tiers: TierMap) -> pl.DataFrame:
        column = text_vote_column(self.name)
        if column in groups.columns:
            return _votes(groups[column], self.confidence)
        names = self.build(groups, tiers)
        mapping = {t: i for i, t in enumerate(tiers.tiers)}
        index = names.replace_strict(mapping, default=None, return_dtype=pl.Int32)
        return _votes(index, self.confidence)


def _tier_at(tiers: TierMap, position: int) -> str:
    return tiers.tiers[min(position, len(tiers.tiers) - 1)]


def _length(groups: pl.DataFrame, tiers: TierMap) -> pl.Series:
    """``router.estimate_tokens`` < 64: small tier, <= 1024: second tier, else the top."""
    # 4100+ characters are 4100+ UTF-8 bytes: over 1024 tokens without splitting the text
    tokens = pl.Series(
        [estimate_tokens(t) if len(t) < 4100 else 1025 for t in groups["text"]], dtype=pl.Int64
    )
    small, medium, top = _tier_at(tiers, 0), _tier_at(tiers, 1), tiers.tiers[-1]
    frame = pl.DataFrame({"t": tokens})
    bucket = pl.when(pl.col("t") < 64).then(pl.lit(small)).when(pl.col("t") <= 1024)
    return frame.select(bucket.then(pl.lit(medium)).otherwise(pl.lit(top))).to_series()


def clip(text: str, head: int = 1500, tail: int = 500) -> str:
    """Head and tail of a long prompt: bounds the detectors' cost per prompt."""
    return text if len(text) <= head + tail else text[:head] + "\n" + text[-tail:]


def detector_column(detector: str) -> str:
    return f"det_{detector}"


@dataclass(frozen=True)
class Detect:
    """Votes the second tier where ``router``'s detector ``detector`` fires on the text.

    Reads the ``det_<detector>`` column when the caller ran all detectors in one pass
    (``labeling._distinct``: the detectors then share the text's word set).
    """

    detector: str

    def __call__(self, groups: pl.DataFrame, tiers: TierMap) -> pl.Series:
        column = detector_column(self.detector)
        if column in groups.columns:
            fired = groups[column].to_list()
        else:
            detect = DETECTORS[self.detector]
            fired = [detect(clip(t)) for t in groups["text"]]
        medium = _tier_at(tiers, 1)
        return pl.Series([medium if hit else None for hit in fired], dtype=pl.String)


_MULTISTEP = (
    r"(?im)(^[ \t]*[0-9]+[.)][ \t])|step[ -]by[ -]step"
    r"|(?-u:\b)(?:then|after that|finally)(?-u:\b)"
)


def _multistep(groups: pl.DataFrame, tiers: TierMap) -> pl.Series:
    hits = groups.select(pl.col("text").str.count_matches(_MULTISTEP)).to_series()
    return (
        hits.to_frame("h")
        .select(pl.when(pl.col("h") >= 3).then(pl.lit(tiers.tiers[-1])))
        .to_series()
    )


def _language(groups: pl.DataFrame, tiers: TierMap) -> pl.Series:
    share = groups.select(
        pl.col("text").str.count_matches(r"[^\x00-\x7F]") / pl.col("text").str.len_chars().clip(1)
    ).to_series()
    medium = _tier_at(tiers, 1)
    return share.to_frame("s").select(pl.when(pl.col("s") > 0.3).then(pl.lit(medium))).to_series()


class JudgeLike(Protocol):
    """What :class:`JudgeFunction` needs of ``labeling._judge.Judge``."""

    total_cost_usd: float
    calls: int
    cache_hits: int

    def judge(self, prompts: Sequence[str]) -> Sequence[Any]: ...


@dataclass(frozen=True)
class JudgeFunction:
    """An LLM judge's verdict per distinct prompt (``JudgeVerdict.tier``; None abstains)."""

    judge: JudgeLike
    name: str = "llm_judge"
    weight: float = 1.0

    def record_vote(self, tiers: TierMap) -> pl.Expr | None:
        return None

    def group_vote(self, groups: pl.DataFrame, tiers: TierMap) -> pl.DataFrame:
        verdicts = self.judge.judge(groups["text"].to_list())
        votes = [tiers.index(v.tier) for v in verdicts]
        confs = [
            float(v.confidence) if i is not None else None
            for v, i in zip(verdicts, votes, strict=True)
        ]
        return pl.DataFrame(
            {"vote": votes, "conf": confs}, schema={"vote": pl.Int32, "conf": pl.Float64}
        )


_ALL: tuple[LabelingFunction, ...] = (
    _RecordFunction("outcome", 2.0, 0.9, _outcome_vote),
    _RecordFunction("escalation", 1.5, 0.7, _escalation_vote),
    _RecordFunction("feedback", 1.0, 0.6, _feedback_vote),
    _RecordFunction("failure", 1.0, 0.5, _failure_vote),
    TextFunction("length", 0.3, 0.3, _length),
    TextFunction("code", 0.3, 0.4, Detect("code")),
    TextFunction("sql", 0.3, 0.4, Detect("sql")),
    TextFunction("math", 0.3, 0.4, Detect("math")),
    TextFunction("multistep", 0.3, 0.4, _multistep),
    TextFunction("language", 0.2, 0.3, _language),
)
LABELING_FUNCTIONS: dict[str, LabelingFunction] = {f.name: f for f in _ALL}
