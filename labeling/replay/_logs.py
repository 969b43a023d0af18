"""Read logs for replay: prompts, logged tokens, known outcomes per (prompt, tier).

The labeling adapters (``ADAPTERS``) read every log shape into ``RECORD_SCHEMA``; this
module keeps what replay needs. An outcome is known for a (prompt, tier) pair when

- an outcome table (RouterBench style, judge scores in the same shape) has a score for
  a model of that tier (several models of one tier: their mean), or
- the request was served by that tier and the user rated it (feedback +1 -> 1, -1 -> 0).

Everything else stays unknown (NaN): replay reports coverage instead of guessing.
Conversations: a decision log names each request's conversation (``conversation_id``,
the client's id or ``auto:<hash>``) and its user turns; replay follows those, with the
service's rule (:func:`router.follows_up`). Other logs (and decision logs written
before the field existed): requests whose messages hold more than one user turn are
follow-ups of the conversation that began with the same first user turn (and tenant).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from labeling.ingest import ADAPTERS, Quarantine, ReadContext, TierMap, detect_format
from policies import LabelingError, Policy
from router import auto_conversation_id, follows_up

__all__ = ["ReplayLog", "read_replay_logs"]


@dataclass(frozen=True)
class ReplayLog:
    """One row per logged request, in time order (then file order)."""

    prompts: tuple[Any, ...]  # str or OpenAI-style messages, as routed
    input_tokens: NDArray[np.int64]  # logged prompt tokens; -1 when not logged
    output_tokens: NDArray[np.float64]  # logged completion tokens; NaN when not logged
    outcomes: NDArray[np.float64]  # (n, n_tiers) 0..1; NaN = unknown
    conversation: tuple[str, ...]  # key of the conversation the request belongs to
    turn: NDArray[np.int64]  # user turns in the request (1 = a new conversation)
    logged_tier: tuple[str | None, ...]
    logged_cost_usd: NDArray[np.float64]  # NaN when not logged
    tiers: tuple[str, ...]
    sources: tuple[str, ...]  # the files read
    quarantined: int = 0

    @property
    def n(self) -> int:
        return len(self.prompts)

    def subset(self, index: NDArray[np.int64]) -> ReplayLog:
        """Rows ``index`` (kept in the given order)."""
        pick = [int(i) for i in index]
        return ReplayLog(
            prompts=tuple(self.prompts[i] for i in pick),
            input_tokens=self.input_tokens[index],
            output_tokens=self.output_tokens[index],
            outcomes=self.outcomes[index],
            conversation=tuple(self.conversation[i] for i in pick),
            turn=self.turn[index],
            logged_tier=tuple(self.logged_tier[i] for i in pick),
            logged_cost_usd=self.logged_cost_usd[index],
            tiers=self.tiers,
            sources=self.sources,
            quarantined=self.quarantined,
        )


def read_replay_logs(
    paths: Sequence[Path], policy: Policy, *, fmt: str = "auto", quarantine: Path | None = None
) -> ReplayLog:
    """Read ``paths`` with the labeling adapters; bad records go to ``quarantine``."""
    tiers = TierMap.from_policy(policy)
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise LabelingError(f"input not found: {', '.join(missing)}")
    with tempfile.TemporaryDirectory() as tmp:
        target = quarantine or Path(tmp) / "quarantine.jsonl"
        with Quarantine(target) as bad:
            frames, feedback = _read(paths, fmt, ReadContext(tiers, bad))
        quarantined = bad.records
    if not frames:
        raise LabelingError(f"no usable records in {', '.join(map(str, paths))}")
    records = pl.concat(frames, how="diagonal_relaxed")
    records = _join_feedback(records, feedback)
    records = records.with_row_index("_order").sort(
        ["timestamp", "_order"], nulls_last=True, maintain_order=True
    )
    return _to_log(records, tiers, tuple(str(p) for p in paths), quarantined)


def _read(
    paths: Sequence[Path], fmt: str, ctx: ReadContext
) -> tuple[list[pl.DataFrame], list[dict[str, Any]]]:
    frames: list[pl.DataFrame] = []
    feedback: list[dict[str, Any]] = []
    for path in map(Path, paths):
        name = fmt if fmt != "auto" else detect_format(path)
        if name is None:
            continue
        if name not in ADAPTERS:
            raise LabelingError(f"--format {name!r}: expected one of {sorted(ADAPTERS)} or auto")
        for batch in ADAPTERS[name].read(path, ctx):
            if batch.n_records:
                frames.append(batch.to_frame())
            feedback.extend(batch.feedback)
    return frames, feedback


def _join_feedback(records: pl.DataFrame, feedback: list[dict[str, Any]]) -> pl.DataFrame:
    if not feedback:
        return records
    ratings = pl.DataFrame(
        [{"request_id": f["request_id"], "rating": f["rating"]} for f in feedback],
        schema={"request_id": pl.String, "rating": pl.Int8},
    ).unique("request_id", keep="last")
    joined = records.join(ratings, on="request_id", how="left")
    return joined.with_columns(pl.coalesce("rating", "feedback").alias("feedback")).drop("rating")


def _to_log(
    records: pl.DataFrame, tiers: TierMap, sources: tuple[str, ...], quarantined: int
) -> ReplayLog:
    n, names = records.height, tiers.tiers
    outcomes = np.full((n, len(names)), np.nan)
    for i, row in enumerate(records.select("outcomes", "tier", "feedback").iter_rows()):
        scores, tier, rating = row
        _fill_outcomes(outcomes[i], scores or [], names)
        index = tiers.index(tier)
        if rating is not None and index is not None and np.isnan(outcomes[i, index]):
            outcomes[i, index] = 1.0 if rating > 0 else 0.0
    prompts, keys, turns = [], [], []
    seen: dict[str, int] = {}
    columns = ("messages", "prompt", "tenant", "conversation", "user_turns")
    for messages, prompt, tenant, logged, logged_turns in records.select(columns).iter_rows():
        routed, key, turn = _conversation(messages, prompt, tenant)
        if logged is not None:  # the id the service logged beats the first-turn heuristic
            key = f"{tenant or ''}\x00{logged}"
            seen[key] = seen.get(key, 0) + 1
            turn = seen[key] if follows_up(logged, logged_turns or 1) else 1
        prompts.append(routed)
        keys.append(key)
        turns.append(turn)
    out_tokens = records["output_tokens"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return ReplayLog(
        prompts=tuple(prompts),
        input_tokens=records["input_tokens"].fill_null(-1).to_numpy().astype(np.int64),
        output_tokens=out_tokens.astype(np.float64),
        outcomes=outcomes,
        conversation=tuple(keys),
        turn=np.asarray(turns, dtype=np.int64),
        logged_tier=tuple(records["tier"].to_list()),
        logged_cost_usd=records["cost_usd"].fill_null(np.nan).to_numpy().astype(np.float64),
        tiers=names,
        sources=sources,
        quarantined=quarantined,
    )


def _fill_outcomes(
    row: NDArray[np.float64], scores: list[dict[str, Any]], names: tuple[str, ...]
) -> None:
    by_tier: dict[str, list[float]] = {}
    for item in scores:
        if item.get("tier") in names and item.get("score") is not None:
            by_tier.setdefault(item["tier"], []).append(float(item["score"]))
    for tier, values in by_tier.items():
        row[names.index(tier)] = float(np.mean(values))


def _conversation(messages: str | None, prompt: str, tenant: str | None) -> tuple[Any, str, int]:
    """(what to route, conversation key, user turns), the key as serving derives it."""
    parsed: Any = None
    if messages:
        try:
            parsed = json.loads(messages)
        except json.JSONDecodeError:
            parsed = None
    if not isinstance(parsed, list) or not parsed:
        return prompt, _key(tenant, prompt), 1
    users = [m for m in parsed if isinstance(m, dict) and m.get("role") == "user"]
    first = users[0].get("content") if users else prompt
    routed: Any = parsed if len(parsed) > 1 else prompt
    return routed, _key(tenant, first), max(1, len(users))


def _key(tenant: str | None, first_turn: Any) -> str:
    return f"{tenant or ''}\x00{auto_conversation_id(tenant, first_turn)}"
