"""Run the leave-one-source-out benchmark (:mod:`labeling.transfer._benchmark`) over candidates.

Held-out predictions are cached under ``cache_dir/preds`` by a hash of the candidate,
the target settings, the held-out source and the texts, so a re-run after adding one
candidate only trains that one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifier.evaluation import RoutingTable
from labeling.transfer import _bag, _shrink  # noqa: F401  (register their candidates)
from labeling.transfer._benchmark import (
    Source,
    SourceResult,
    group_sources,
    item_targets,
    item_tier_probs,
    routing_rows,
    score_source,
    train_mask,
)
from labeling.transfer._candidates import CANDIDATES, FeatureBank, Fold, code_hash
from labeling.transfer._sources import read_outcome_sources
from policies import LabelingError

__all__ = ["BLENDS", "HeldOut", "TransferConfig", "TransferReport", "run_transfer"]

Floats = NDArray[np.float64]

# Rank blends of candidates already run: name -> (candidate, weight) pairs. Each score is
# turned into its rank within the held-out source (0..1) and the weighted ranks summed; an
# evaluation device (a shipped blend would rank against the training distribution instead).
BLENDS: dict[str, tuple[tuple[str, float], ...]] = {
    "blend:length+ord": (("length", 0.5), ("ord:struct+logits+pooled", 0.5)),
    "blend:length70+ord": (("length", 0.7), ("ord:struct+logits+pooled", 0.3)),
    "blend:length+ord+shipped": (
        ("length", 1 / 3),
        ("ord:struct+logits+pooled", 1 / 3),
        ("shipped", 1 / 3),
    ),
    "blend:length+tfidf": (("length", 0.5), ("tfidf-lr", 0.5)),
    # round 5 (fixed weights, nothing tuned)
    "blend:ord+shipped": (("ord:struct+logits+pooled", 0.5), ("shipped", 0.5)),
    "blend:length20+ord+shipped": (
        ("length", 0.2),
        ("ord:struct+logits+pooled", 0.4),
        ("shipped", 0.4),
    ),
    "blend:ord+ordbagt": (
        ("ord:struct+logits+pooled", 0.5),
        ("ord:struct+logits+pooled+bagt", 0.5),
    ),
}


def _rank_blend(name: str, scores: Mapping[str, Floats]) -> Floats:
    from scipy.stats import rankdata

    parts = [w * rankdata(scores[c]) / max(len(scores[c]), 1) for c, w in BLENDS[name]]
    out: Floats = np.sum(parts, axis=0)
    return out


DEFAULT_CANDIDATES = ("random", "length", "litellm", "tfidf-lr", "shipped")


@dataclass(frozen=True)
class TransferConfig:
    target: str = "gain"
    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    balance: str = "equal"  # equal: every training source weighs the same in total
    cap_per_source: int = 600  # training prompts kept per source (stable hash), 0 = all
    sources: tuple[str, ...] = ()  # only these held-out sources (prefix match); all if empty
    # transfer: train on the other sources; own: train on a stable-hash half of the same
    # source and test on the other half (the own-logs loop)
    mode: str = "transfer"


@dataclass(frozen=True)
class HeldOut:
    """One held-out source's routing rows: the pair's outcomes and every candidate's
    scores, row for row (what a paired bootstrap resamples)."""

    source: str
    strong_correct: Floats
    weak_correct: Floats
    scores: dict[str, Floats]  # candidate -> one score per row


@dataclass(frozen=True)
class TransferReport:
    config: TransferConfig
    results: dict[str, list[SourceResult]]  # candidate -> one result per held-out source
    # the rows behind ``results``, in the same source order (not in ``to_dict``)
    held_out: tuple[HeldOut, ...] = field(default=())

    def macro(self, candidate: str, metric: str = "apgr") -> float:
        return float(np.mean([getattr(r, metric) for r in self.results[candidate]]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": asdict(self.config),
            "macro": {
                c: {m: self.macro(c, m) for m in ("apgr", "cpt50", "c95")} for c in self.results
            },
            "sources": {c: [asdict(r) for r in rs] for c, rs in self.results.items()},
        }


def _kept(source: Source, cap: int) -> NDArray[np.bool_]:
    """At most ``cap`` prompts of ``source`` (lowest stable text hash), all when cap is 0."""
    if cap <= 0 or len(source.texts) <= cap:
        return np.ones(len(source.texts), dtype=bool)
    ranks = [hashlib.blake2b(t.encode(), digest_size=8).hexdigest() for t in source.texts]
    keep = np.zeros(len(source.texts), dtype=bool)
    keep[np.argsort(ranks, kind="stable")[:cap]] = True
    return keep


def _weights(
    sources: Sequence[Source], kept: Sequence[NDArray[np.bool_]], balance: str
) -> list[Floats]:
    """Zero for prompts over the cap; else 1 (``none``) or equal total per source."""
    if balance not in ("equal", "none"):
        raise LabelingError(f"balance {balance!r}: expected 'equal' or 'none'")
    counts = [int(k.sum()) for k in kept]
    mean_n = float(np.mean(counts))
    return [
        np.where(k, 1.0 if balance == "none" else mean_n / max(c, 1), 0.0)
        for k, c in zip(kept, counts, strict=True)
    ]


def _half(text: str) -> bool:
    return hashlib.blake2b(b"own:" + text.encode(), digest_size=2).digest()[0] < 128


def _own_split(
    sources: Sequence[Source], j: int, rows: NDArray[np.int64], offsets: NDArray[np.int64]
) -> tuple[NDArray[np.int64], RoutingTable, NDArray[np.bool_]]:
    """Train on the hash-half of source ``j`` (all its prompts), test on the other half."""
    source = sources[j]
    half = np.array([_half(t) for t in source.texts])
    train = np.zeros(int(offsets[-1]), dtype=bool)
    train[offsets[j] : offsets[j + 1]] = half
    test_rows = rows[~half[rows]]
    _, full = routing_rows(source)
    keep = ~half[rows]
    table = RoutingTable(
        prompts=tuple(p for p, k in zip(full.prompts, keep, strict=True) if k),
        sources=full.sources[: int(keep.sum())],
        strong_correct=full.strong_correct[keep],
        weak_correct=full.weak_correct[keep],
        strong_cost=full.strong_cost[keep],
        weak_cost=full.weak_cost[keep],
        strong_model=full.strong_model,
        weak_model=full.weak_model,
    )
    return test_rows, table, train


def _cache_key(candidate: str, config: TransferConfig, source: str, digest: str) -> str:
    raw = json.dumps(
        [
            config.mode,
            candidate,
            code_hash(CANDIDATES[candidate][1]),
            config.target,
            config.balance,
            config.cap_per_source,
            source,
            digest,
        ]
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def _predict(
    path: Path, name: str, bank: FeatureBank, fold: Fold, test_rows: NDArray[np.int64]
) -> Floats:
    """The candidate's held-out scores, from the cache when this exact fold ran before."""
    if path.is_file():
        cached: Floats = np.load(path)
        return cached
    score = np.asarray(CANDIDATES[name][1](bank, fold), dtype=np.float64)[test_rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, score)
    return score


def _base_candidates(candidates: Sequence[str]) -> list[str]:
    """The candidates to predict: those asked for that are not blends, then blend parts."""
    blends = [c for c in candidates if c in BLENDS]
    base = [c for c in candidates if c not in BLENDS]
    base += [c for b in blends for c, _ in BLENDS[b] if c not in base]
    unknown = sorted(set(base) - set(CANDIDATES))
    if unknown:
        raise LabelingError(f"candidates {unknown}: expected names from {sorted(CANDIDATES)}")
    return base


def run_transfer(
    data_dir: Path,
    cache_dir: Path,
    config: TransferConfig | None = None,
    progress: Callable[[str], None] | None = None,
    fixed: Mapping[str, Callable[[Sequence[str]], Floats]] | None = None,
) -> TransferReport:
    """Every candidate, every held-out source (see the module docstrings).

    ``fixed``: already-trained scorers (name -> strong-score of texts), scored on each
    held-out source as they are (``tierroute evaluate --transfer --model DIR``)."""
    config = config or TransferConfig()
    base = _base_candidates(config.candidates)
    sources = group_sources(read_outcome_sources(data_dir))
    offsets = np.cumsum([0] + [len(s.texts) for s in sources])
    texts = [t for s in sources for t in s.texts]
    groups = np.concatenate([np.full(len(s.texts), j) for j, s in enumerate(sources)])
    bank = FeatureBank(
        texts, groups.astype(np.int64), cache_dir / "features", tuple(s.name for s in sources)
    )
    target = np.concatenate([item_targets(s, config.target) for s in sources])
    kept = [_kept(s, config.cap_per_source) for s in sources]
    weight = np.concatenate(_weights(sources, kept, config.balance))
    tier_probs = np.vstack([item_tier_probs(s) for s in sources])
    tier_probs_old = np.vstack([item_tier_probs(s, unsolved="frontier") for s in sources])
    fixed = dict(fixed or {})
    results: dict[str, list[SourceResult]] = {c: [] for c in (*fixed, *config.candidates)}
    held_out: list[HeldOut] = []
    for j, source in enumerate(sources):
        if config.sources and not any(source.name.startswith(p) for p in config.sources):
            continue
        rows, table = routing_rows(source)
        if config.mode == "own":
            rows, table, train = _own_split(sources, j, rows, offsets)
        elif config.mode == "transfer":
            train = np.concatenate(train_mask(sources, j)) & (weight > 0)
        else:
            raise LabelingError(f"mode {config.mode!r}: expected 'transfer' or 'own'")
        test_rows = offsets[j] + rows
        test = np.zeros(len(texts), dtype=bool)
        test[test_rows] = True
        fold_weight = weight if config.mode == "transfer" else np.ones(len(texts))
        fold = Fold(train, target, fold_weight, tier_probs, tier_probs_old, test)
        routed: dict[str, Floats] = {}
        for name, strong_score in fixed.items():
            score = np.asarray(strong_score([texts[i] for i in test_rows]), dtype=np.float64)
            routed[name] = score
        scores: dict[str, Floats] = {}
        for name in base:
            key = _cache_key(name, config, source.name, bank.digest())
            scores[name] = _predict(cache_dir / "preds" / f"{key}.npy", name, bank, fold, test_rows)
        for name in config.candidates:
            routed[name] = _rank_blend(name, scores) if name in BLENDS else scores[name]
        for name, score in routed.items():
            results[name].append(score_source(source, rows, table, score))
        held_out.append(HeldOut(source.name, table.strong_correct, table.weak_correct, routed))
        if progress:
            progress(source.name)
    return TransferReport(config, results, tuple(held_out))
