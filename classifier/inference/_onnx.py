"""ONNX inference: the served complexity scorer (onnxruntime + `tokenizers`, no torch).

Loads an artifact directory (:mod:`classifier.inference._artifact`), encodes texts with the same
:func:`classifier.inference._encoding.encode` that training used, runs the INT8 graph and turns
the logits into calibrated tier probabilities with the stored temperature. When the
directory holds a ``head.json`` (:mod:`classifier.inference._head`), the probabilities come from
the feature head instead: the prompt's structure features next to the student's logits
(and its pooled vector, when the graph exposes it as a second output).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifier.inference._artifact import (
    MODEL_FILE,
    TOKENIZER_FILE,
    ArtifactConfig,
    read_artifact_config,
)
from classifier.inference._calibration import softmax
from classifier.inference._encoding import encode, load_tokenizer
from classifier.inference._features import prompt_features
from classifier.inference._head import FeatureHead, head_version, read_head
from classifier.inference._tfidf import TfidfScorer
from policies import ClassifierError

__all__ = ["DEFAULT_MODEL_DIR", "OnnxComplexityScorer", "load_default_scorer"]

# The committed default model (INT8 student), shipped as package data.
DEFAULT_MODEL_DIR = Path(__file__).parents[1] / "_model"


class OnnxComplexityScorer:
    """Scores prompt complexity with an ONNX artifact; implements ``ComplexityScorer``.

    Build it with :meth:`load`. ``threads`` is onnxruntime's intra-op thread count
    (1 is fastest per request for these tiny models and leaves cores to the server).
    ``score`` runs texts in batches of ``batch_size``, each padded to its longest text.
    The default 1 is deliberate: the INT8 graph quantizes activations per call (dynamic
    quantization), so a text's probabilities would move by ~0.005 with its batch mates
    (``route`` and ``route_batch`` would disagree), and padding makes batches no cheaper
    per text (measured: 0.99 ms CPU per ShareGPT prompt at 1, 1.11 ms at 32).
    """

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        config: ArtifactConfig,
        *,
        batch_size: int = 1,
        artifact_dir: Path | None = None,
        head: FeatureHead | None = None,
    ) -> None:
        self._session = session
        self._head = head
        self._tokenizer = tokenizer
        self._config = config
        self._batch_size = max(1, batch_size)
        self.artifact_dir = artifact_dir
        names = {i.name for i in session.get_inputs()}
        missing = {"input_ids", "attention_mask"} - names
        if missing:
            raise ClassifierError(f"{artifact_dir}: ONNX graph lacks inputs {sorted(missing)}")
        self._token_types = "token_type_ids" in names

    @classmethod
    def load(
        cls, artifact_dir: str | Path, *, threads: int = 1, batch_size: int = 1
    ) -> OnnxComplexityScorer:
        import onnxruntime as ort

        folder = Path(artifact_dir)
        config = read_artifact_config(folder)
        model_path = folder / MODEL_FILE
        if not model_path.is_file():
            raise ClassifierError(f"{model_path}: missing (not a classifier artifact directory?)")
        tokenizer = load_tokenizer(folder / TOKENIZER_FILE)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(
                str(model_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ClassifierError(f"{model_path}: cannot load ONNX model: {exc}") from exc
        outputs = session.get_outputs()
        pooled = None
        if len(outputs) > 1:  # the pooled vector; its width may be symbolic in the graph
            width = outputs[1].shape[-1] if outputs[1].shape else None
            pooled = width if isinstance(width, int) else -1  # -1: read it from the head
        head = read_head(folder, len(config.labels), pooled)
        return cls(
            session, tokenizer, config, batch_size=batch_size, artifact_dir=folder, head=head
        )

    @property
    def version(self) -> str:
        if self._head is not None:
            return head_version(self._config.version, self._head)
        return self._config.version

    @property
    def head(self) -> FeatureHead | None:
        return self._head

    @property
    def labels(self) -> tuple[str, ...]:
        return self._config.labels

    @property
    def max_tokens(self) -> int:
        return self._config.max_tokens

    @property
    def temperature(self) -> float:
        return self._config.temperature

    @property
    def config(self) -> ArtifactConfig:
        return self._config

    def encode(self, texts: Sequence[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(input_ids, attention_mask)`` exactly as the model sees them."""
        c = self._config
        return encode(
            self._tokenizer,
            texts,
            c.max_tokens,
            head_fraction=c.head_fraction,
            chars_per_token=c.chars_per_token,
        )

    def logits(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """The student's raw (uncalibrated) logits, shape ``(len(texts), len(labels))``."""
        return self.outputs(texts)[0]

    def outputs(
        self, texts: Sequence[str]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
        """(logits, pooled vector or None when the graph has no second output)."""
        if isinstance(texts, str):
            raise TypeError("logits takes a list of texts, not one string")
        logits = np.empty((len(texts), len(self.labels)), dtype=np.float64)
        pooled: NDArray[np.float64] | None = None
        for start in range(0, len(texts), self._batch_size):
            chunk = texts[start : start + self._batch_size]
            result = self._run(chunk)
            logits[start : start + len(chunk)] = result[0]
            if len(result) > 1:
                if pooled is None:
                    pooled = np.empty((len(texts), result[1].shape[-1]), dtype=np.float64)
                pooled[start : start + len(chunk)] = result[1]
        return logits, pooled

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated tier probabilities; rows sum to 1.

        Without a head: ``softmax(logits / temperature)``. With one: the head's ordinal
        probabilities from the structure features and the student's outputs.
        """
        logits, pooled = self.outputs(texts)
        if self._head is None:
            return softmax(logits, self._config.temperature)
        x = self._head.inputs(prompt_features(texts), logits, pooled)
        return self._head.probs(x)

    def _run(self, texts: Sequence[str]) -> list[NDArray[np.float32]]:
        input_ids, attention_mask = self.encode(texts)
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self._token_types:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        result: list[NDArray[np.float32]] = self._session.run(None, feed)
        logits = result[0]
        if logits.shape != (len(texts), len(self.labels)):
            raise ClassifierError(
                f"{self.artifact_dir}: model returned logits of shape {logits.shape}, "
                f"expected {(len(texts), len(self.labels))} (labels.json: {list(self.labels)})"
            )
        return result


def load_default_scorer(*, threads: int = 1) -> OnnxComplexityScorer | TfidfScorer:
    """The shipped ONNX student when ``classifier/_model/model.onnx`` exists, else TF-IDF."""
    if (DEFAULT_MODEL_DIR / MODEL_FILE).is_file():
        return OnnxComplexityScorer.load(DEFAULT_MODEL_DIR, threads=threads)
    return TfidfScorer.load()
