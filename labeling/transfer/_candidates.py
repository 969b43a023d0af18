"""Candidate routers of the transfer benchmark and the cached inputs they read.

A candidate maps (all prompts, a train mask, targets, weights) to one strong-score per
prompt. Baselines need no training (``length``, ``litellm``, ``shipped``, ``random``);
the learned ones are fitted on the train mask only. Inputs that cost time (the student's
logits, LiteLLM's scores, router detector outputs) are computed once per text set and
cached under ``cache_dir`` keyed by a hash of the texts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from policies import LabelingError

__all__ = ["CANDIDATES", "FeatureBank", "Fold", "code_hash", "fit_head"]


def code_hash(fn: Callable[..., Any]) -> str:
    """Hash of a function's source and closure values: a cache key that follows code edits."""
    import inspect

    parts = [inspect.getsource(fn)]
    for cell in getattr(fn, "__closure__", None) or ():
        value = cell.cell_contents
        parts.append(code_hash(value) if callable(value) else repr(value))
    if fn is _struct:  # the features live in classifier.inference._features
        import sys

        from classifier.inference import prompt_features

        parts.append(inspect.getsource(sys.modules[prompt_features.__module__]))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


Floats = NDArray[np.float64]
Mask = NDArray[np.bool_]


@dataclass
class FeatureBank:
    """Per-prompt inputs over one fixed text list, computed lazily and cached on disk."""

    texts: Sequence[str]
    groups: NDArray[np.int64]  # source index per prompt (within-source centering)
    cache_dir: Path
    group_names: tuple[str, ...] = ()  # source name per group index (when known)
    _blocks: dict[str, Floats] = field(default_factory=dict)
    _digest: str = ""

    def digest(self) -> str:
        """Hash of the text list (the cache key of every block computed from it)."""
        if not self._digest:
            h = hashlib.sha256()
            for text in self.texts:
                h.update(hashlib.sha256(text.encode("utf-8", "replace")).digest())
            self._digest = h.hexdigest()[:16]
        return self._digest

    def block(self, name: str) -> Floats:
        if name not in self._blocks:
            if name not in _BLOCKS:
                raise LabelingError(f"feature block {name!r}: expected one of {sorted(_BLOCKS)}")
            path = self.cache_dir / f"{name}-{code_hash(_BLOCKS[name])}-{self.digest()}.npy"
            if path.is_file():
                self._blocks[name] = np.load(path)
            else:
                values = np.asarray(_BLOCKS[name](self.texts), dtype=np.float64)
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, values)
                self._blocks[name] = values
        return self._blocks[name]

    def matrix(self, names: Sequence[str]) -> Floats:
        return np.hstack([self.block(n).reshape(len(self.texts), -1) for n in names])


def _struct(texts: Sequence[str]) -> Floats:
    from classifier.inference import prompt_features

    return prompt_features(texts)


def _student(texts: Sequence[str]) -> Floats:
    from classifier import DEFAULT_MODEL_DIR, OnnxComplexityScorer

    return OnnxComplexityScorer.load(DEFAULT_MODEL_DIR).logits(list(texts))


POOLED_OUTPUT = "/inner/bert/pooler/activation/Tanh_output_0"


def _pooled(texts: Sequence[str]) -> Floats:
    """The shipped student's pooled [CLS] vector (128), read from the same INT8 graph."""
    import onnx
    import onnxruntime as ort

    from classifier import DEFAULT_MODEL_DIR, OnnxComplexityScorer

    scorer = OnnxComplexityScorer.load(DEFAULT_MODEL_DIR)
    graph = onnx.load(str(DEFAULT_MODEL_DIR / "model.onnx"))
    graph.graph.output.append(onnx.helper.make_empty_tensor_value_info(POOLED_OUTPUT))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(graph.SerializeToString(), options)
    rows = []
    for text in texts:
        ids, mask = scorer.encode([text])
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in {i.name for i in session.get_inputs()}:
            feed["token_type_ids"] = np.zeros_like(ids)
        rows.append(session.run([POOLED_OUTPUT], feed)[0][0])
    return np.asarray(rows, dtype=np.float64)


def _detectors(texts: Sequence[str]) -> Floats:
    from router import detect_code, detect_math, detect_sql

    return np.array(
        [[float(detect_code(t)), float(detect_math(t)), float(detect_sql(t))] for t in texts]
    )


def _litellm(texts: Sequence[str]) -> Floats:
    from classifier.evaluation import BASELINES, BaselineData

    data = BaselineData(labels=("s", "f"), train_texts=(), train_labels=(), cache_dir=Path("."))
    scorer = BASELINES["litellm-complexity"].build(data).strong_score
    assert scorer is not None
    return scorer(texts)


_BLOCKS: dict[str, Callable[[Sequence[str]], Floats]] = {
    "struct": _struct,
    "student": _student,
    "detectors": _detectors,
    "pooled": _pooled,
    "litellm": _litellm,
}


@dataclass(frozen=True)
class Fold:
    train: Mask  # prompts that may train
    target: Floats  # training target in [0, 1] (NaN = none)
    weight: Floats  # sample weight per prompt
    tier_probs: Floats | None = None  # (n, 3) soft tier labels, for the ordinal head
    tier_probs_old: Floats | None = None  # the same with unsolved requests -> top tier
    test: Mask | None = None  # prompts to score (the held-out source); all when None

    def scored(self) -> NDArray[np.int64]:
        return np.flatnonzero(self.test if self.test is not None else ~self.train)


def _soft_lr(x: Floats, y: Floats, w: Floats, c: float) -> Any:
    """Logistic regression on soft targets: each row twice, as 1 (weight y) and 0 (1 - y)."""
    from scipy.sparse import issparse, vstack
    from sklearn.linear_model import LogisticRegression

    xx = vstack([x, x]) if issparse(x) else np.vstack([x, x])
    yy = np.concatenate([np.ones(len(y)), np.zeros(len(y))])
    ww = np.concatenate([w * y, w * (1 - y)])
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(xx, yy, sample_weight=ww)
    return model


def fit_head(x: Floats, y: Floats, w: Floats, c: float = 1.0) -> tuple[Floats, Floats, Any]:
    """Standardise ``x`` and fit the soft-target LR head; (mean, scale, model)."""
    mean, scale = column_scale(x)
    return mean, scale, _soft_lr((x - mean) / scale, y, w, c)


def column_scale(rows: Floats) -> tuple[Floats, Floats]:
    """Per-column mean and standard deviation of ``rows`` (1 for a constant column)."""
    sd = rows.std(axis=0)
    return rows.mean(axis=0), np.where(sd > 1e-9, sd, 1.0)


def scaled_on(x: Floats, rows: Mask) -> Floats:
    """``x`` with each column scaled by the mean and standard deviation of its ``rows`` (the
    training rows), so held-out rows are scaled as the model saw its training data."""
    mean, scale = column_scale(x[rows])
    out: Floats = (x - mean) / scale
    return out


def centre_within(z: Floats, y: Floats, groups: NDArray[np.int64]) -> tuple[Floats, Floats]:
    """``z`` and ``y`` with each source's (group's) mean removed: within-source effects."""
    zc, yc = z.copy(), y.copy()
    for g in np.unique(groups):
        rows = groups == g
        zc[rows] -= zc[rows].mean(axis=0)
        yc[rows] -= yc[rows].mean()
    return zc, yc


def usable(fold: Fold) -> Mask:
    """Training rows with a finite target and a positive weight."""
    out: Mask = fold.train & np.isfinite(fold.target) & (fold.weight > 0)
    return out


def _lr(blocks: Sequence[str], c: float = 1.0) -> Callable[[FeatureBank, Fold], Floats]:
    def run(bank: FeatureBank, fold: Fold) -> Floats:
        x = bank.matrix(blocks)
        use = usable(fold)
        mean, scale, model = fit_head(x[use], fold.target[use], fold.weight[use], c)
        out: Floats = model.decision_function((x - mean) / scale)
        return out

    return run


def _centered_ridge(blocks: Sequence[str]) -> Callable[[FeatureBank, Fold], Floats]:
    """Ridge on features and target centred within each source: within-source effects only."""

    def run(bank: FeatureBank, fold: Fold) -> Floats:
        from sklearn.linear_model import Ridge

        x = bank.matrix(blocks)
        use = usable(fold)
        z = scaled_on(x, use)
        zc, yc = centre_within(z[use], fold.target[use], bank.groups[use])
        model = Ridge(alpha=10.0).fit(zc, yc, sample_weight=fold.weight[use])
        out: Floats = model.predict(z)
        return out

    return run


def _knn(blocks: Sequence[str], k: int = 50) -> Callable[[FeatureBank, Fold], Floats]:
    """Weighted mean target of the ``k`` nearest training prompts (cosine, standardised)."""

    def run(bank: FeatureBank, fold: Fold) -> Floats:
        from sklearn.neighbors import KNeighborsRegressor

        x = bank.matrix(blocks)
        use = usable(fold)
        z = scaled_on(x, use)
        z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)
        model = KNeighborsRegressor(n_neighbors=k).fit(z[use], fold.target[use])
        out = np.zeros(len(bank.texts))
        test = fold.scored()
        out[test] = model.predict(z[test])
        return out

    return run


def _gbm(blocks: Sequence[str]) -> Callable[[FeatureBank, Fold], Floats]:
    def run(bank: FeatureBank, fold: Fold) -> Floats:
        from sklearn.ensemble import HistGradientBoostingRegressor

        x = bank.matrix(blocks)
        use = usable(fold)
        model = HistGradientBoostingRegressor(
            max_iter=150,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=100,
            random_state=0,
        ).fit(x[use], fold.target[use], sample_weight=fold.weight[use])
        out: Floats = model.predict(x)
        return out

    return run


def _ordinal(
    blocks: Sequence[str], c: float = 0.1, old_labels: bool = False
) -> Callable[[FeatureBank, Fold], Floats]:
    """The shippable head (classifier.training._head_train): ordinal LR on 3-tier soft labels
    (``old_labels``: unsolved requests labelled top tier, for comparison)."""
    names = {"struct": "struct", "logits": "student", "pooled": "pooled"}

    def run(bank: FeatureBank, fold: Fold) -> Floats:
        from classifier.training import fit_ordinal_head

        labels = fold.tier_probs_old if old_labels else fold.tier_probs
        if labels is None:
            raise LabelingError("ordinal candidates need tier_probs")
        x = bank.matrix([names[b] for b in blocks])
        use = fold.train & (fold.weight > 0)
        head = fit_ordinal_head(x[use], labels[use], fold.weight[use], blocks=blocks, c=c)
        return head.strong_score(x)

    return run


def _tfidf(bank: FeatureBank, fold: Fold) -> Floats:
    from sklearn.feature_extraction.text import TfidfVectorizer

    use = usable(fold)
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=20_000, dtype=np.float64
    )
    train = vectorizer.fit_transform([bank.texts[int(i)] for i in np.flatnonzero(use)])
    model = _soft_lr(train, fold.target[use], fold.weight[use], 1.0)
    out = np.zeros(len(bank.texts))
    rows = fold.scored()
    out[rows] = model.decision_function(vectorizer.transform([bank.texts[int(i)] for i in rows]))
    return out


def _length(bank: FeatureBank, fold: Fold) -> Floats:
    return np.array([float(len(t)) for t in bank.texts])


def _random(bank: FeatureBank, fold: Fold) -> Floats:
    # one tie block: the curve is the expected curve of a random order (APGR exactly 0.5)
    return np.zeros(len(bank.texts))


def _shipped(bank: FeatureBank, fold: Fold) -> Floats:
    logits = bank.block("student")
    from classifier.inference import softmax

    probs = softmax(logits, 1.0)
    return probs[:, -1]


def _litellm_score(bank: FeatureBank, fold: Fold) -> Floats:
    return bank.block("litellm").reshape(-1)


# name -> (needs training, function)
CANDIDATES: dict[str, tuple[bool, Callable[[FeatureBank, Fold], Floats]]] = {
    "random": (False, _random),
    "length": (False, _length),
    "litellm": (False, _litellm_score),
    "shipped": (False, _shipped),
    "tfidf-lr": (True, _tfidf),
    "lr:struct": (True, _lr(["struct"])),
    "lr:struct+student": (True, _lr(["struct", "student"])),
    "lr:struct+student+det": (True, _lr(["struct", "student", "detectors"])),
    "ridge-fe:struct+student": (True, _centered_ridge(["struct", "student"])),
    "ridge-fe:struct": (True, _centered_ridge(["struct"])),
    "lr:struct+pooled": (True, _lr(["struct", "pooled"], c=0.1)),
    "lr:struct+student+pooled": (True, _lr(["struct", "student", "pooled"], c=0.1)),
    "lr:pooled": (True, _lr(["pooled"], c=0.1)),
    "knn:pooled": (True, _knn(["pooled"])),
    "knn:struct+pooled": (True, _knn(["struct", "pooled"])),
    "ord:struct+logits": (True, _ordinal(["struct", "logits"])),
    "ord:struct+logits+pooled": (True, _ordinal(["struct", "logits", "pooled"])),
    "ord:struct+pooled": (True, _ordinal(["struct", "pooled"])),
    "ord-c0.01:struct+logits+pooled": (True, _ordinal(["struct", "logits", "pooled"], c=0.01)),
    "ord-c1:struct+logits+pooled": (True, _ordinal(["struct", "logits", "pooled"], c=1.0)),
    "ord-oldlabels:struct+logits+pooled": (
        True,
        _ordinal(["struct", "logits", "pooled"], old_labels=True),
    ),
    "gbm:struct": (True, _gbm(["struct"])),
    "gbm:struct+student": (True, _gbm(["struct", "student"])),
}
