"""Outcome tables in a policy's tiers from the shared outcome sources (for calibrate/replay).

``tierroute calibrate`` and ``tierroute replay`` know a (prompt, tier) outcome when an
outcome table has a score column named after one of the tier's models. The shared
sources were run on other models, so each source's own models stand in for the tiers the
way the labels define them (:func:`labeling._transfer.item_tier_probs`): ranked by their
mean score on the source and cut in thirds (cheap, middle, strong), a tier's score on a
prompt is the mean score of its third. One wide table per source and half (a stable hash
of the text, as in the own-logs benchmark) so thresholds fitted on one half are reported
on the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from labeling.transfer._benchmark import UNRELIABLE, Source, _model_means, _set_mean
from policies import LabelingError

__all__ = ["tier_columns", "tier_scores", "write_tier_tables"]


def tier_columns(policy: object) -> tuple[str, ...]:
    """One model name per tier, cheapest first: the tier's first deployment, as the policy's
    tier map reads it (provider prefix and ``-spec`` suffix removed)."""
    tiers = getattr(policy, "tiers", None)
    if not tiers:
        raise LabelingError("policy has no tiers")
    names = []
    for tier in tiers:
        model = tier.deployments[0].model.split("/", 1)[-1].removesuffix("-spec")
        names.append(model)
    return tuple(names)


def tier_scores(source: Source, n_tiers: int = 3) -> np.ndarray:
    """(prompts, n_tiers) mean score of each tier's share of the source's models (NaN where
    a share has no outcome); with fewer models than tiers the cheap tiers repeat the weakest."""
    means = {m: v for m, v in _model_means(source).items() if m not in UNRELIABLE}
    ranked = sorted(means, key=lambda m: (means[m], m))
    if not ranked:
        raise LabelingError(f"{source.name}: no model outcomes")
    if len(ranked) < n_tiers:
        parts = [ranked[:1]] * (n_tiers - 1) + [ranked[-1:]]
    else:
        parts = [list(p) for p in np.array_split(np.array(ranked, dtype=object), n_tiers)]
    out = np.full((len(source.outcomes), n_tiers), np.nan)
    for i, row in enumerate(source.outcomes):
        out[i] = [_set_mean(row, part, source.dataset) for part in parts]
    return out


def _half(text: str) -> bool:
    return hashlib.blake2b(b"own:" + text.encode(), digest_size=2).digest()[0] < 128


def _keep(texts: Sequence[str], cap: int) -> np.ndarray:
    ranks = [hashlib.blake2b(b"cap:" + t.encode(), digest_size=8).hexdigest() for t in texts]
    keep = np.zeros(len(texts), dtype=bool)
    keep[np.argsort(ranks, kind="stable")[: cap if cap > 0 else len(texts)]] = True
    return keep


def write_tier_tables(
    sources: Sequence[Source], columns: Sequence[str], out_dir: Path, cap: int = 400
) -> dict[str, list[Path]]:
    """``out_dir/{fit,eval}/<source>.parquet`` (``/`` in names becomes ``__``): prompt,
    sample_id and one score column per tier; at most ``cap`` prompts per source (stable
    hash, before the split), rows with every tier known only. Returns the paths per half."""
    import polars as pl

    paths: dict[str, list[Path]] = {"fit": [], "eval": []}
    for source in sources:
        scores = tier_scores(source, len(columns))
        known = np.all(np.isfinite(scores), axis=1) & _keep(source.texts, cap)
        half = np.array([_half(t) for t in source.texts])
        for name, rows in (("fit", known & half), ("eval", known & ~half)):
            index = np.flatnonzero(rows)
            if not len(index):
                continue
            frame = pl.DataFrame(
                {
                    "sample_id": [f"{source.name}#{i}" for i in index],
                    "prompt": [source.texts[i] for i in index],
                    **{c: scores[index, k] for k, c in enumerate(columns)},
                }
            )
            path = out_dir / name / f"{source.name.replace('/', '__')}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.write_parquet(path)
            paths[name].append(path)
    return paths
