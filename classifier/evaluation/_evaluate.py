"""``tierroute evaluate``: classification and routing metrics of a model and baselines.

1. Classification: the model's tier probabilities on the labels' ``test`` split
   (:mod:`classifier._metrics`).
2. Routing: on RouterBench test rows with per-model outcomes, GPT-4-1106 (strong) vs
   Mixtral-8x7B (weak): PGR curve, APGR, CPT(50 %/80 %), cost-quality curve
   (:mod:`classifier.evaluation._routing`). A tier classifier's strong-score is P(frontier)
   (``frontier`` mode), also reported as the expected tier (``complexity`` mode).
3. Baselines (:data:`classifier.evaluation._baselines.BASELINES`) trained on the labels' ``train``
   split, minus every text that is also a routing or test row (no leakage into them).

References beside them: a random router (mean of 20 seeds; APGR ~0.5) and the oracle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifier._loader import load_scorer
from classifier._metrics import classification_metrics, reliability_bins
from classifier._scorer import ComplexityScorer
from classifier._settings import local_data_dir, shared_data_dir
from classifier.evaluation._baselines import BASELINES, BaselineData, Candidate
from classifier.evaluation._plots import write_report
from classifier.evaluation._report import EvaluationReport, RoutingInfo, ScorerResult
from classifier.evaluation._routing import (
    RoutingTable,
    load_routerbench_table,
    oracle_strong_score,
    random_router_apgr,
    routing_curve,
    strong_scores,
    summarize_routing,
)
from policies import ClassifierError

__all__ = ["LabeledSplit", "evaluate_model", "read_label_split"]

STRONG_SCORE_MODES = ("frontier", "complexity")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class LabeledSplit:
    texts: tuple[str, ...]
    truth: NDArray[np.int64]  # tier index per text
    labels: tuple[str, ...]  # tier order, cheapest first
    split: str

    def label_names(self) -> tuple[str, ...]:
        return tuple(self.labels[i] for i in self.truth)


def _tier_order(frame: Any, path: Path) -> tuple[str, ...]:
    if "label_index" not in frame.columns:
        raise ClassifierError(f"{path}: no label_index column to order the tiers by")
    pairs = frame.select("label_index", "label").unique().sort("label_index").rows()
    order = [label for _, label in pairs]
    if len(set(order)) != len(order) or [i for i, _ in pairs] != list(range(len(order))):
        raise ClassifierError(f"{path}: label_index does not map one-to-one to labels: {pairs}")
    return tuple(order)


def read_label_split(
    path: str | Path, split: str = "test", labels: Sequence[str] | None = None
) -> LabeledSplit:
    """Rows of ``split`` from a labels.parquet; ``labels`` (the model's tiers) fix the order."""
    import polars as pl

    from classifier._contract import REQUIRED_LABEL_COLUMNS

    path = Path(path)
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ClassifierError(f"{path}: cannot read labels parquet: {exc}") from exc
    missing = [c for c in REQUIRED_LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise ClassifierError(f"{path}: missing columns {missing} (see classifier.LABEL_COLUMNS)")
    order = tuple(labels) if labels is not None else _tier_order(frame, path)
    rows = frame.filter(pl.col("split") == split)
    unknown = sorted(set(rows["label"].unique().to_list()) - set(order))
    if unknown:
        raise ClassifierError(f"{path}: split {split!r} has labels {unknown} not in {list(order)}")
    index = {label: i for i, label in enumerate(order)}
    return LabeledSplit(
        texts=tuple(rows["text"].to_list()),
        truth=np.array([index[v] for v in rows["label"].to_list()], dtype=np.int64),
        labels=order,
        split=split,
    )


def _key(text: str) -> str:
    """Identity of a prompt up to case and whitespace (for leakage checks)."""
    return hashlib.sha1(" ".join(text.split()).lower().encode()).hexdigest()


def _fingerprint(texts: Sequence[str]) -> set[str]:
    return {_key(t) for t in texts}


def _evaluate_candidate(
    candidate: Candidate,
    role: str,
    test: LabeledSplit | None,
    table: RoutingTable | None,
    n_bins: int,
) -> ScorerResult:
    classification = reliability = None
    routing, curves = [], []
    scorer = candidate.scorer
    if scorer is not None and test is not None and test.texts:
        probs = scorer.score(test.texts)
        classification = classification_metrics(probs, test.truth, test.labels, n_bins=n_bins)
        reliability = reliability_bins(probs, test.truth, n_bins=n_bins)
    if table is not None:
        if scorer is not None:
            probs = scorer.score(table.prompts)
            modes = [(m, strong_scores(probs, m)) for m in STRONG_SCORE_MODES]
        elif candidate.strong_score is not None:
            modes = [("score", candidate.strong_score(table.prompts))]
        else:
            modes = []
        for mode, score in modes:
            curve = routing_curve(score, table)
            curves.append((mode, curve))
            routing.append((mode, summarize_routing(curve)))
    return ScorerResult(
        name=candidate.name,
        version=candidate.version,
        role=role,
        classification=classification,
        routing=tuple(routing),
        curves=tuple(curves),
        reliability=reliability,
        note=candidate.note,
    )


def _routing_info(table: RoutingTable, split: str) -> RoutingInfo:
    return RoutingInfo(
        dataset=f"RouterBench {split} ({', '.join(sorted(set(table.sources)))}; "
        f"{table.view} prompts)",
        strong_model=table.strong_model,
        weak_model=table.weak_model,
        n=table.n,
        dropped=table.dropped,
        strong_quality=table.strong_quality,
        weak_quality=table.weak_quality,
        strong_cost=float(table.strong_cost.sum()),
        weak_cost=float(table.weak_cost.sum()),
        random_apgr=random_router_apgr(table),
    )


def _baseline_data(
    data: Path | None, labels: tuple[str, ...], exclude: set[str], cache_dir: Path, seed: int
) -> tuple[BaselineData, int]:
    if data is None:
        return BaselineData(labels, (), (), cache_dir, seed), 0
    train = read_label_split(data, "train", labels)
    keep = [i for i, t in enumerate(train.texts) if _key(t) not in exclude]
    texts = tuple(train.texts[i] for i in keep)
    names = tuple(labels[int(train.truth[i])] for i in keep)
    return BaselineData(labels, texts, names, cache_dir, seed), len(train.texts) - len(keep)


def _select(baselines: bool | Sequence[str]) -> list[str]:
    if baselines is True:
        return list(BASELINES)
    if baselines is False:
        return []
    unknown = sorted(set(baselines) - set(BASELINES))
    if unknown:
        raise ClassifierError(f"unknown baselines {unknown}; known: {sorted(BASELINES)}")
    return list(baselines)


def evaluate_model(
    model: str | Path | ComplexityScorer,
    data: str | Path | None,
    *,
    routerbench_dir: str | Path | None = None,
    prompt_view: str = "question",
    split: str = "test",
    baselines: bool | Sequence[str] = True,
    compare: Mapping[str, str | Path | ComplexityScorer] | None = None,
    out: str | Path | None = None,
    cache_dir: str | Path | None = None,
    n_bins: int = 15,
    seed: int = 0,
    progress: Progress | None = None,
) -> EvaluationReport:
    """Evaluate ``model`` (artifact dir, ``tfidf``, ``models:/...`` or a scorer object).

    ``data``: labels.parquet, its ``split`` rows are scored, its ``train`` rows train the
    baselines. ``routerbench_dir``: holds ``routerbench/*_test.csv`` (default: the shared
    data; routing is skipped with a warning without it). ``prompt_view``: ``question`` or
    ``full`` (see :mod:`classifier.evaluation._routing`). ``out``: write report.json,
    report.md, PNG plots.
    """
    say = progress or (lambda _: None)
    names = _select(baselines)
    scorer = model if not isinstance(model, str | Path) else load_scorer(model)
    data_path = Path(data) if data is not None else None
    warnings: list[str] = []
    test = read_label_split(data_path, split, scorer.labels) if data_path else None
    table = _load_table(routerbench_dir, prompt_view, warnings)
    say(f"scoring {scorer.version}")
    candidate = Candidate("model", scorer.version, scorer)
    results = [_evaluate_candidate(candidate, "model", test, table, n_bins)]
    for name, other in (compare or {}).items():
        say(f"scoring {name}")
        other_scorer = other if not isinstance(other, str | Path) else load_scorer(other)
        other_candidate = Candidate(name, other_scorer.version, other_scorer)
        results.append(_evaluate_candidate(other_candidate, "model", test, table, n_bins))
    exclude = _fingerprint(table.prompts if table else ()) | _fingerprint(
        test.texts if test else ()
    )
    if data_path is not None and table is not None:
        warnings += _overlap_warning(data_path, scorer.labels, table)
    if names:
        cache = Path(cache_dir) if cache_dir is not None else local_data_dir() / "cache"
        bdata, dropped = _baseline_data(data_path, scorer.labels, exclude, cache, seed)
        if dropped:
            warnings.append(f"baselines: left out {dropped} train rows that are test/routing rows")
        results += _run_baselines(names, bdata, test, table, n_bins, say, warnings, scorer.version)
    if table is not None:
        oracle = Candidate("oracle", "hindsight", strong_score=lambda _: oracle_strong_score(table))
        results.append(_evaluate_candidate(oracle, "reference", None, table, n_bins))
    report = EvaluationReport(
        model=str(model) if isinstance(model, str | Path) else scorer.version,
        model_version=scorer.version,
        labels=scorer.labels,
        data=str(data_path) if data_path else None,
        split=split,
        routing=_routing_info(table, "test") if table else None,
        results=tuple(results),
        warnings=tuple(warnings),
    )
    if out is not None:
        say(f"writing report to {out}")
        report = write_report(report, Path(out))
    return report


def _overlap_warning(data: Path, labels: tuple[str, ...], table: RoutingTable) -> list[str]:
    train_texts = read_label_split(data, "train", labels).texts
    overlap = len(_fingerprint(train_texts) & _fingerprint(table.prompts))
    if not overlap:
        return []
    return [
        f"{overlap} routing prompts also appear in the train split of {data}: "
        "the model's routing metrics may be optimistic"
    ]


def _load_table(
    routerbench_dir: str | Path | None, view: str, warnings: list[str]
) -> RoutingTable | None:
    folder = Path(routerbench_dir) if routerbench_dir is not None else shared_data_dir()
    if (folder / "routerbench").is_dir() is False and folder.name == "routerbench":
        folder = folder.parent  # accept the routerbench folder itself
    if not (folder / "routerbench").is_dir():
        warnings.append(f"{folder / 'routerbench'}: not found, routing metrics skipped")
        return None
    return load_routerbench_table("test", folder, view=view)


def _run_baselines(
    names: list[str],
    data: BaselineData,
    test: LabeledSplit | None,
    table: RoutingTable | None,
    n_bins: int,
    say: Progress,
    warnings: list[str],
    model_version: str,
) -> list[ScorerResult]:
    results = []
    for name in names:
        baseline = BASELINES[name]
        if baseline.needs_training and not data.train_texts:
            warnings.append(f"baseline {name}: skipped, no labels train split to train on")
            continue
        say(f"baseline {name}: {baseline.description}")
        try:
            candidate = baseline.build(data)
        except ClassifierError as exc:  # e.g. the shipped TF-IDF has other tiers
            warnings.append(f"baseline {name}: skipped: {exc}")
            continue
        if candidate.version == model_version:
            continue  # the evaluated model itself (e.g. --model tfidf): its row is above
        results.append(_evaluate_candidate(candidate, "baseline", test, table, n_bins))
    return results
