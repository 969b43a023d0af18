"""Transparent baseline scorer: TF-IDF (word 1-2 grams) + multinomial logistic regression.

Trained with scikit-learn (:mod:`classifier.training._tfidf_train`), stored as one JSON file
(vocabulary, idf, coefficients as base64 float32), and scored here with numpy alone,
so routing with it imports neither scikit-learn nor torch. A test checks that the
scores equal scikit-learn's ``predict_proba`` on the same texts.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from policies import ClassifierError

__all__ = ["DEFAULT_TFIDF_PATH", "TfidfScorer"]

DEFAULT_TFIDF_PATH = Path(__file__).parents[1] / "_baseline" / "tfidf_lr.json"
# scikit-learn's default token_pattern, applied to lowercased text.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def encode_array(array: NDArray[Any]) -> dict[str, Any]:
    data = np.ascontiguousarray(array, dtype="<f4")
    return {"shape": list(data.shape), "f32": base64.b64encode(data.tobytes()).decode()}


def decode_array(blob: dict[str, Any]) -> NDArray[np.float64]:
    raw = np.frombuffer(base64.b64decode(blob["f32"]), dtype="<f4")
    return raw.reshape(blob["shape"]).astype(np.float64)


class TfidfScorer:
    """Scores texts with a TF-IDF + logistic-regression model stored as JSON."""

    def __init__(self, artifact: dict[str, Any]) -> None:
        try:
            self._labels = tuple(artifact["labels"])
            self._version = str(artifact["version"])
            self._vocab = {term: i for i, term in enumerate(artifact["vocabulary"])}
            self._idf = decode_array(artifact["idf"])
            self._coef = decode_array(artifact["coef"])  # (n_labels, n_terms)
            self._intercept = decode_array(artifact["intercept"])
            self._ngram_max = int(artifact["ngram_max"])
            self._sublinear = bool(artifact["sublinear_tf"])
        except (KeyError, ValueError, TypeError) as exc:
            raise ClassifierError(f"tfidf artifact: missing or invalid field {exc}") from exc
        if self._coef.shape != (len(self._labels), len(self._vocab)):
            raise ClassifierError(
                f"tfidf artifact: coef shape {self._coef.shape} does not match "
                f"{len(self._labels)} labels x {len(self._vocab)} terms"
            )
        self.metadata: dict[str, Any] = dict(artifact.get("metadata", {}))

    @classmethod
    def load(cls, path: str | Path = DEFAULT_TFIDF_PATH) -> TfidfScorer:
        try:
            artifact = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ClassifierError(f"{path}: cannot load tfidf artifact: {exc}") from exc
        return cls(artifact)

    @property
    def version(self) -> str:
        return self._version

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        logits = np.empty((len(texts), len(self._labels)))
        for row, text in enumerate(texts):
            logits[row] = self._logits(text)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs

    def _logits(self, text: str) -> NDArray[np.float64]:
        counts = Counter(self._term_ids(text))
        if not counts:
            return self._intercept.copy()
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self._sublinear:
            tf = 1.0 + np.log(tf)
        weights = tf * self._idf[ids]
        weights /= math.sqrt(float(weights @ weights))
        return self._coef[:, ids] @ weights + self._intercept

    def _term_ids(self, text: str) -> list[int]:
        tokens = _TOKEN.findall(text.lower())
        vocab = self._vocab
        ids = [vocab[t] for t in tokens if t in vocab]
        for n in range(2, self._ngram_max + 1):
            for i in range(len(tokens) - n + 1):
                term_id = vocab.get(" ".join(tokens[i : i + n]))
                if term_id is not None:
                    ids.append(term_id)
        return ids
