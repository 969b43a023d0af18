"""The normalized record schema every adapter writes, and the model -> tier map.

One row per log record (one request). Columns:

=============  ==================  ====================================================
request_id     String              id from the log (or ``file:line`` when it has none)
timestamp      Datetime(us, UTC)   when the request started
tenant         String              team / user / api-key hash, when the log names one
messages       String              the request's OpenAI-style messages as a JSON string
prompt         String              text of the last user turn (what gets labeled)
model          String              the model that answered (as logged)
response       String              the answer text
input_tokens   Int64               prompt tokens (logged, else estimated)
output_tokens  Int64               completion tokens
latency_ms     Float64             end-to-end latency
cost_usd       Float64             USD cost of the request as logged
status         String              "ok" or "error"
error          String              error class/message when status is "error"
feedback       Int8                user rating: -1, +1 or null (joined later by request_id)
tier           String              policy tier of ``model`` (null when unknown)
first_tier     String              tier first attempted (decision logs; else = tier)
finish_reason  String              "stop", "length", ... when logged
outcomes       List(Struct)        per-model outcome ``{model, tier, score}`` (outcome
                                   tables only; score 0..1 = correctness); null otherwise
source         String              input file stem
source_line    Int64               1-based line (JSONL) or row (tables) in that file
conversation   String              conversation id the service logged (decision logs)
user_turns     Int64               user turns of the request as logged (decision logs)
=============  ==================  ====================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from policies import Policy

__all__ = ["FEEDBACK_SCHEMA", "RECORD_SCHEMA", "RecordBuffer", "TierMap"]

OUTCOME_DTYPE = pl.List(pl.Struct({"model": pl.String, "tier": pl.String, "score": pl.Float64}))
RECORD_SCHEMA: dict[str, pl.DataType] = {
    "request_id": pl.String(),
    "timestamp": pl.Datetime("us", "UTC"),
    "tenant": pl.String(),
    "messages": pl.String(),
    "prompt": pl.String(),
    "model": pl.String(),
    "response": pl.String(),
    "input_tokens": pl.Int64(),
    "output_tokens": pl.Int64(),
    "latency_ms": pl.Float64(),
    "cost_usd": pl.Float64(),
    "status": pl.String(),
    "error": pl.String(),
    "feedback": pl.Int8(),
    "tier": pl.String(),
    "first_tier": pl.String(),
    "finish_reason": pl.String(),
    "outcomes": OUTCOME_DTYPE,
    "source": pl.String(),
    "source_line": pl.Int64(),
    "conversation": pl.String(),
    "user_turns": pl.Int64(),
}
FEEDBACK_SCHEMA: dict[str, pl.DataType] = {
    "request_id": pl.String(),
    "rating": pl.Int8(),
    "source": pl.String(),
    "source_line": pl.Int64(),
}


@dataclass(frozen=True)
class TierMap:
    """Map a logged model name to a policy tier.

    Matches the deployment's litellm string, the name without the provider prefix
    (``openai/mixtral-8x7b-chat`` -> ``mixtral-8x7b-chat``) and names that end with it
    (RouterBench's ``mistralai/mixtral-8x7b-chat``). Draft-model suffixes (``-spec``)
    map to the same tier.
    """

    tiers: tuple[str, ...]
    models: dict[str, str]

    @classmethod
    def from_policy(cls, policy: Policy) -> TierMap:
        models: dict[str, str] = {}
        for tier in policy.tiers:
            for deployment in tier.deployments:
                name = deployment.model.split("/", 1)[-1]
                models.setdefault(name, tier.name)
                models.setdefault(name.removesuffix("-spec"), tier.name)
        return cls(tiers=policy.tier_names, models=models)

    def tier_of(self, model: object) -> str | None:
        if not isinstance(model, str) or not model:
            return None
        for name in (model, model.split("/", 1)[-1], model.rsplit("/", 1)[-1]):
            tier = self.models.get(name)
            if tier is not None:
                return tier
        return None

    def index(self, tier: str | None) -> int | None:
        return self.tiers.index(tier) if tier in self.tiers else None


@dataclass
class RecordBuffer:
    """Column lists for one batch of normalized records (cheaper than row dicts)."""

    columns: dict[str, list[Any]] = field(
        default_factory=lambda: {name: [] for name in RECORD_SCHEMA}
    )

    def __len__(self) -> int:
        return len(self.columns["source_line"])

    def append(self, row: dict[str, Any]) -> None:
        for name, values in self.columns.items():
            values.append(row.get(name))

    def extend(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.append(row)

    def to_frame(self) -> pl.DataFrame:
        """The batch as a frame with :data:`RECORD_SCHEMA` (timestamps are epoch seconds)."""
        schema = dict(RECORD_SCHEMA, timestamp=pl.Float64())
        frame = pl.DataFrame(self.columns, schema=schema, strict=False)
        micros = (pl.col("timestamp") * 1_000_000).round().cast(pl.Int64)
        return frame.with_columns(micros.cast(pl.Datetime("us", "UTC")).alias("timestamp"))
