"""Stage 1 of a labeling run: each batch of normalized records -> one small Parquet part.

Each record is keyed by a 128-bit hash of its exact prompt (``k1``, ``k2``) and keeps only
the columns stage 2 reads: no text, no source (a batch reads one file: ``sources`` maps
the part, ``seq >> 32``, to it). The first record of each prompt not seen before
hands its text to :class:`~labeling._distinct.DistinctPrompts` (scrub, dedup key, text
votes, once per distinct prompt, while the next batch is read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from labeling._distinct import KEYS, DistinctPrompts
from labeling._stats import RunStats
from labeling.ingest import Batch

__all__ = ["PartWriter", "records_glob"]


def records_glob(parts: Path) -> Path:
    return parts / "records_*.parquet"


@dataclass
class PartWriter:
    parts: Path
    columns: tuple[str, ...]  # record columns stage 2 reads (``prompt`` included)
    stats: RunStats
    prompts: DistinctPrompts
    written: int = 0
    sources: dict[int, str] = field(default_factory=dict)  # part -> source (one file each)

    def write(self, batch: Batch) -> None:
        self.stats.input_records += batch.n_input
        if not batch.n_records:
            return
        prompt = pl.col("prompt")
        frame = (
            batch.to_frame()
            .select(self.columns)
            .with_columns(
                prompt.hash(seed=11).alias("k1"),
                prompt.hash(seed=29).alias("k2"),
                (pl.int_range(pl.len(), dtype=pl.Int64) + self.written * (1 << 32)).alias("seq"),
            )
        )
        firsts = frame.filter(pl.struct(KEYS).is_first_distinct())
        self.prompts.add(firsts.select(*KEYS, "seq", "prompt"), self.written)
        self.sources[self.written] = frame["source"][0]  # a batch reads one file
        self.stats.records_by_source[frame["source"][0]] += frame.height
        target = self.parts / f"records_{self.written:06d}.parquet"
        frame.drop("prompt", "source").write_parquet(target, compression="lz4", statistics=False)
        self.written += 1
