"""Leave-one-source-out routing benchmark: does a router transfer to a source it never saw?

Every outcome source (:func:`labeling.transfer._sources.read_outcome_sources`) is held out
in turn. A candidate router is trained on all the *other* sources (minus any prompt that
also appears in the held-out one, matched by normalised text or question stem) and scores
the held-out prompts; the scores route between that source's own strong and weak model
(:data:`PAIRS`). Per source: APGR, CPT(50 %) and C95 (the share of strong calls needed to
keep 95 % of all-strong quality); then the macro mean over sources. Costs are not used:
APGR and both shares depend on the order of the scores only.

Training target (:data:`TARGETS`): ``gain`` (default) is the probability that a stronger
model succeeds *where a weaker one fails*: the source's models are ranked by their mean
score, the top third is "strong", the bottom third "weak", and the target is
``mean(strong success) x (1 - mean(weak success))``: 0 when the weak models already
answer, and 0 too when nobody does (a frontier model gains nothing there).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from classifier.evaluation import RoutingTable, apgr, cpt, routing_curve, share_reaching
from labeling.shared import SourceItem
from policies import LabelingError

__all__ = [
    "PAIRS",
    "TARGETS",
    "Source",
    "SourceResult",
    "c95",
    "group_sources",
    "item_targets",
    "item_tier_probs",
    "pick_pair",
    "score_source",
    "train_mask",
]

Floats = NDArray[np.float64]

# dataset -> (strong, weak); "best"/"worst" = the source's own best/worst model by mean
PAIRS: dict[str, tuple[str, str]] = {
    "routerbench": ("gpt-4-1106-preview", "mistralai/mixtral-8x7b-chat"),
    "small_models7": ("best", "worst"),
    "mmlu_pro": ("gemini-1.5-pro-002", "Mixtral-8x7B-Instruct-v0.1"),
    "llmrouter": (
        "best:llama-3.1-nemotron-51b-instruct,llama-3.3-nemotron-super-49b-v1",
        "llama-3.1-8b-instruct",
    ),
    "routerarena": ("gemini-2.0-flash-001", "claude-3-haiku-20240307"),
}
# LLMRouter: when the 8B model is within this of the strong one, the weakest 7-9B
# instruct model is the weak side instead (QA tasks where 8B and 51B score alike)
MIN_GAP = 0.05
LLMROUTER_SMALL = (
    "llama-3.1-8b-instruct",
    "mistral-7b-instruct-v0.3",
    "qwen2.5-7b-instruct",
    "gemma-2-9b-it",
    "codegemma-7b",
)


@dataclass(frozen=True)
class Source:
    """One held-out unit: its prompts, their outcome dicts and its strong/weak pair."""

    name: str
    dataset: str
    texts: tuple[str, ...]
    outcomes: tuple[Mapping[str, float], ...]
    keys: tuple[frozenset[str], ...]  # duplicate keys (normalised text, stem) per prompt


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))[:400]


def _keys(item: SourceItem) -> frozenset[str]:
    keys = {"t:" + hashlib.blake2b(_norm(item.text).encode(), digest_size=8).hexdigest()}
    if item.stem:
        keys.add("s:" + item.stem)
    return frozenset(keys)


def group_sources(items: Sequence[SourceItem]) -> list[Source]:
    """Items grouped by ``source``, in name order."""
    by: dict[str, list[SourceItem]] = {}
    for item in items:
        by.setdefault(item.source, []).append(item)
    return [
        Source(
            name=name,
            dataset=name.split("/", 1)[0],
            texts=tuple(i.text for i in group),
            outcomes=tuple(i.outcomes for i in group),
            keys=tuple(_keys(i) for i in group),
        )
        for name, group in sorted(by.items())
    ]


def _model_means(source: Source) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for row in source.outcomes:
        for key, value in row.items():
            sums.setdefault(key.split(":", 1)[1], []).append(value)
    return {m: float(np.mean(v)) for m, v in sums.items()}


def pick_pair(source: Source) -> tuple[str, str]:
    """The (strong, weak) model pair this source is routed between (see :data:`PAIRS`)."""
    if source.dataset not in PAIRS:
        raise LabelingError(f"{source.name}: no strong/weak pair for dataset {source.dataset!r}")
    strong, weak = PAIRS[source.dataset]
    means = _model_means(source)
    if strong == "best":
        strong = max(means, key=lambda m: (means[m], m))
    elif strong.startswith("best:"):
        strong = max(strong[5:].split(","), key=lambda m: (means.get(m, -1.0), m))
    if weak == "worst":
        weak = min(means, key=lambda m: (means[m], m))
    elif source.dataset == "llmrouter" and means[strong] - means.get(weak, 1.0) < MIN_GAP:
        weak = min(LLMROUTER_SMALL, key=lambda m: (means.get(m, 2.0), m))
    for model in (strong, weak):
        if model not in means:
            raise LabelingError(f"{source.name}: model {model!r} has no outcomes")
    return strong, weak


def routing_rows(source: Source) -> tuple[NDArray[np.int64], RoutingTable]:
    """Rows where both pair models have an outcome, and their routing table (unit costs)."""
    strong, weak = pick_pair(source)
    ks, kw = f"{source.dataset}:{strong}", f"{source.dataset}:{weak}"
    rows = np.array(
        [i for i, o in enumerate(source.outcomes) if ks in o and kw in o], dtype=np.int64
    )
    table = RoutingTable(
        prompts=tuple(source.texts[i] for i in rows),
        sources=(source.name,) * len(rows),
        strong_correct=np.array([source.outcomes[i][ks] for i in rows]),
        weak_correct=np.array([source.outcomes[i][kw] for i in rows]),
        strong_cost=np.ones(len(rows)),
        weak_cost=np.zeros(len(rows)),
        strong_model=strong,
        weak_model=weak,
    )
    return rows, table


# models whose scores say more about a broken harness than about the prompt (LLMRouter's
# ChatQA models average 0.02-0.24 on multiple choice the 8B instruct models get right)
UNRELIABLE = frozenset({"llama3-chatqa-1.5-8b", "llama3-chatqa-1.5-70b"})


def _tier_sets(source: Source) -> tuple[list[str], list[str]]:
    means = {m: v for m, v in _model_means(source).items() if m not in UNRELIABLE}
    ranked = sorted(means, key=lambda m: (means[m], m))
    third = max(1, len(ranked) // 3)
    return ranked[-third:], ranked[:third]


def _set_mean(row: Mapping[str, float], models: Sequence[str], prefix: str) -> float:
    values = [row[f"{prefix}:{m}"] for m in models if f"{prefix}:{m}" in row]
    return float(np.mean(values)) if values else float("nan")


def _target_gain(s: float, w: float) -> float:
    return s * (1.0 - w)


def _target_weak_fails(s: float, w: float) -> float:
    return 1.0 - w


def _target_gap(s: float, w: float) -> float:
    return min(max(s - w, 0.0), 1.0)


TARGETS: dict[str, Callable[[float, float], float]] = {
    "gain": _target_gain,  # stronger succeeds where weaker fails (hopeless -> 0)
    "weak_fails": _target_weak_fails,  # the old reading: any weak failure (hopeless -> 1)
    "gap": _target_gap,
}


def item_targets(source: Source, target: str = "gain") -> Floats:
    """Training target in [0, 1] per prompt of ``source`` (NaN where it is undefined)."""
    if target not in TARGETS:
        raise LabelingError(f"target {target!r}: expected one of {sorted(TARGETS)}")
    strong, weak = _tier_sets(source)
    fn = TARGETS[target]
    out = np.empty(len(source.outcomes))
    for i, row in enumerate(source.outcomes):
        s = _set_mean(row, strong, source.dataset)
        w = _set_mean(row, weak, source.dataset)
        out[i] = fn(s, w) if np.isfinite(s) and np.isfinite(w) else np.nan
    return out


def item_tier_probs(source: Source, unsolved: str = "small") -> Floats:
    """3-tier soft labels per prompt: the source's models ranked by mean score and cut in
    thirds (cheap, middle, strong). A tier counts only where it succeeds and the cheaper
    thirds fail (nested: ``small = s0``, ``medium = s1 - s0``, ``frontier = s2 - s1``
    with ``s`` the running maximum of the thirds' mean success); the unsolved rest goes
    to the cheapest tier (``unsolved="frontier"``: the old reading, to the top tier).
    NaN rows where a third has no outcome."""
    means = {m: v for m, v in _model_means(source).items() if m not in UNRELIABLE}
    ranked = sorted(means, key=lambda m: (means[m], m))
    if len(ranked) < 3:  # two models: cheap = middle = the weaker one
        thirds = [ranked[:1], ranked[:1], ranked[-1:]]
    else:
        thirds = [list(p) for p in np.array_split(np.array(ranked, dtype=object), 3)]
    out = np.full((len(source.outcomes), 3), np.nan)
    for i, row in enumerate(source.outcomes):
        success = np.array([_set_mean(row, part, source.dataset) for part in thirds])
        if not np.all(np.isfinite(success)):
            continue
        cumulative = np.maximum.accumulate(np.clip(success, 0.0, 1.0))
        probs = np.diff(np.concatenate([[0.0], cumulative]))
        probs[0 if unsolved == "small" else -1] += 1.0 - cumulative[-1]
        out[i] = probs
    return out


def train_mask(sources: Sequence[Source], held_out: int) -> list[NDArray[np.bool_]]:
    """Per source, which prompts may train when ``held_out`` is tested (no shared keys)."""
    banned: set[str] = set().union(*sources[held_out].keys)
    masks = []
    for j, source in enumerate(sources):
        if j == held_out:
            masks.append(np.zeros(len(source.texts), dtype=bool))
        else:
            masks.append(np.array([not (k & banned) for k in source.keys], dtype=bool))
    return masks


def c95(score: Floats, table: RoutingTable, level: float = 0.95) -> float:
    """Smallest share of strong calls whose quality reaches ``level`` x all-strong quality."""
    curve = routing_curve(score, table)
    share = share_reaching(curve.strong_share, curve.quality, level * table.strong_quality)
    return 1.0 if np.isnan(share) else share


@dataclass(frozen=True)
class SourceResult:
    source: str
    n: int
    strong: str
    weak: str
    strong_quality: float
    weak_quality: float
    apgr: float
    cpt50: float
    c95: float


def score_source(
    source: Source, rows: NDArray[np.int64], table: RoutingTable, score: Floats
) -> SourceResult:
    """Routing metrics of ``score`` (one value per row of ``table``)."""
    curve = routing_curve(score, table)
    return SourceResult(
        source=source.name,
        n=table.n,
        strong=table.strong_model,
        weak=table.weak_model,
        strong_quality=table.strong_quality,
        weak_quality=table.weak_quality,
        apgr=apgr(curve),
        cpt50=cpt(curve, 0.5),
        c95=c95(score, table),
    )
