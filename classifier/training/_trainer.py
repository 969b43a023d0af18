"""Train the served complexity classifier: fine-tune a MiniLM teacher, distill a student.

:class:`ComplexityTrainer` follows the scikit-learn contract: ``__init__`` stores the
parameters, :meth:`~ComplexityTrainer.fit` learns ``teacher_``, ``student_``,
``temperature_`` (student), ``teacher_temperature_``, ``history_`` (validation loss per
evaluation), ``distill_logits_`` (teacher logits on the distillation texts: train rows,
then unlabeled prompts) and ``timings_``, and returns ``self``.
:meth:`~ComplexityTrainer.save` writes the ONNX INT8 artifact
(:func:`classifier.training._export.write_artifact`) and checks parity.

Steps of ``fit``:

1. teacher: MiniLM-L6 (384-d, 6 layers) + a new head, trained on the soft labels
   (``tier_probs``; one-hot ``label`` when absent) weighted by ``confidence``, with the
   text cut to ``teacher_max_tokens`` (head+tail), early stopping on validation loss;
2. the teacher scores the training texts and unlabeled real prompts (ShareGPT,
   Arena-Hard), softened by ``kd_temperature``;
3. student: a small BERT of the same vocabulary trained on ``gt_weight x`` ground truth
   (labeled rows) ``+ kd_weight x`` distillation (all rows), early stopping on
   validation loss;
4. temperature scaling of the student on the validation split.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from classifier.inference import DEFAULT_HEAD_FRACTION
from classifier.training._data import DEFAULT_TIERS, LabeledSet, labeled_set
from policies import ClassifierError

if TYPE_CHECKING:
    import polars as pl
    from rich.progress import Progress
    from tokenizers import Tokenizer

    from classifier.training._export import ParityReport
    from classifier.training._torch_fit import Table

__all__ = ["ComplexityTrainer"]


class ComplexityTrainer:
    """Teacher fine-tuning + student distillation (scikit-learn style estimator)."""

    def __init__(  # noqa: PLR0913 - every knob is a documented hyper-parameter
        self,
        tiers: Sequence[str] = DEFAULT_TIERS,
        *,
        teacher: str = "minilm",
        teacher_max_tokens: int = 128,
        teacher_epochs: float = 2.0,
        teacher_learning_rate: float = 5e-5,
        teacher_trainable_layers: int = 2,
        teacher_max_examples: int | None = None,
        student_layers: int = 2,
        student_hidden: int = 128,
        student_heads: int = 4,
        student_intermediate: int = 512,
        student_max_tokens: int = 64,
        head_fraction: float = DEFAULT_HEAD_FRACTION,
        student_init: str = "pca",
        student_epochs: float = 8.0,
        student_learning_rate: float = 5e-4,
        kd_weight: float = 1.0,
        kd_temperature: float = 2.0,
        gt_weight: float = 1.0,
        batch_size: int = 32,
        patience: int = 2,
        seed: int = 0,
        num_threads: int = 2,
        progress: bool = True,
    ) -> None:
        self.tiers = tuple(tiers)
        self.teacher = teacher
        self.teacher_max_tokens = teacher_max_tokens
        self.teacher_epochs = teacher_epochs
        self.teacher_learning_rate = teacher_learning_rate
        self.teacher_trainable_layers = teacher_trainable_layers
        self.teacher_max_examples = teacher_max_examples
        self.student_layers = student_layers
        self.student_hidden = student_hidden
        self.student_heads = student_heads
        self.student_intermediate = student_intermediate
        self.student_max_tokens = student_max_tokens
        self.head_fraction = head_fraction
        self.student_init = student_init
        self.student_epochs = student_epochs
        self.student_learning_rate = student_learning_rate
        self.kd_weight = kd_weight
        self.kd_temperature = kd_temperature
        self.gt_weight = gt_weight
        self.batch_size = batch_size
        self.patience = patience
        self.seed = seed
        self.num_threads = num_threads
        self.progress = progress

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters (scikit-learn's ``get_params``, no nesting)."""
        import inspect

        names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
        return {name: getattr(self, name) for name in names}

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        train: pl.DataFrame | LabeledSet,
        val: pl.DataFrame | LabeledSet,
        unlabeled: Sequence[str] = (),
    ) -> ComplexityTrainer:
        """Train teacher then student; ``unlabeled`` texts join the distillation set."""
        from classifier.inference import fit_temperature
        from classifier.training._distill import build_teacher
        from classifier.training._torch_fit import seed_torch

        if len(self.tiers) < 2:
            raise ClassifierError(f"tiers: need at least two, got {list(self.tiers)}")
        train_set, val_set = self._as_set(train, "train"), self._as_set(val, "val")
        if len(train_set) == 0 or len(val_set) == 0:
            raise ClassifierError("train and val splits must both have rows (val: early stopping)")
        seed_torch(self.seed, min(2, self.num_threads))
        self.tokenizer_ = self._tokenizer()
        self.timings_: dict[str, float] = {}
        with self._progress() as progress:
            started = time.perf_counter()
            self.teacher_ = build_teacher(
                self.teacher, len(self.tiers), self.teacher_trainable_layers
            )
            teacher_history, train_logits, val_logits = self._fit_teacher(
                train_set, val_set, progress
            )
            self.timings_["teacher_s"] = time.perf_counter() - started
            started = time.perf_counter()
            unlabeled_logits = self._predict(self.teacher_, unlabeled, self.teacher_max_tokens)
            self.timings_["teacher_unlabeled_s"] = time.perf_counter() - started
            started = time.perf_counter()
            texts = list(train_set.texts) + list(unlabeled)
            self.distill_logits_ = np.vstack([train_logits, unlabeled_logits])
            student_history = self._fit_student(
                train_set, val_set, texts, self.distill_logits_, progress
            )
            self.timings_["student_s"] = time.perf_counter() - started
        student_val = self._predict(self.student_, val_set.texts, self.student_max_tokens)
        weights = val_set.weights
        self.temperature_ = float(fit_temperature(student_val, val_set.targets, weights=weights))
        self.teacher_temperature_ = float(
            fit_temperature(val_logits, val_set.targets, weights=weights)
        )
        self.history_ = {"teacher": teacher_history, "student": student_history}
        self.n_train_, self.n_val_, self.n_unlabeled_ = len(train_set), len(val_set), len(unlabeled)
        return self

    def _as_set(self, data: pl.DataFrame | LabeledSet, where: str) -> LabeledSet:
        return data if isinstance(data, LabeledSet) else labeled_set(data, self.tiers, where=where)

    def _tokenizer(self) -> Tokenizer:
        from classifier import minilm_dir
        from classifier.inference import load_tokenizer

        self.tokenizer_path_ = minilm_dir("the MiniLM teacher") / "tokenizer.json"
        return load_tokenizer(self.tokenizer_path_)

    def _progress(self) -> Progress:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not self.progress,
        )

    def _encode(
        self, texts: Sequence[str], max_tokens: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        from classifier.inference import encode

        return encode(self.tokenizer_, list(texts), max_tokens, head_fraction=self.head_fraction)

    def _teacher_table(self, data: LabeledSet, progress: Progress, desc: str) -> Table:
        """Token rows, or cached frozen-layer states when the lower layers are frozen."""
        from classifier.training._teacher_cache import HiddenTable, cache_states, frozen_layers
        from classifier.training._torch_fit import TokenTable

        ids, mask = self._encode(data.texts, self.teacher_max_tokens)
        n_frozen = frozen_layers(self.teacher_)
        if n_frozen == 0:
            return TokenTable(ids, mask, data.targets, data.weights)
        states = cache_states(self.teacher_, ids, mask, n_frozen, progress=progress, desc=desc)
        return HiddenTable(states, n_frozen, data.targets, data.weights)

    def _fit_teacher(
        self, train: LabeledSet, val: LabeledSet, progress: Progress
    ) -> tuple[list[Any], NDArray[np.float64], NDArray[np.float64]]:
        """Train the teacher; return its history and its logits on all train and val rows."""
        from classifier.training._torch_fit import FitConfig, fit_model, predict_logits

        train_table = self._teacher_table(train, progress, "teacher cache (train)")
        val_table = self._teacher_table(val, progress, "teacher cache (val)")
        fit_table = train_table
        if self.teacher_max_examples is not None and len(train) > self.teacher_max_examples:
            rng = np.random.default_rng(self.seed)
            fit_table = train_table.take(
                np.sort(rng.permutation(len(train))[: self.teacher_max_examples])
            )
        config = FitConfig(
            epochs=self.teacher_epochs,
            learning_rate=self.teacher_learning_rate,
            batch_size=self.batch_size,
            patience=self.patience,
        )
        history = fit_model(
            self.teacher_,
            fit_table,
            val_table,
            config,
            seed=self.seed,
            progress=progress,
            desc="teacher",
        )
        return (
            history,
            predict_logits(self.teacher_, train_table),
            predict_logits(self.teacher_, val_table),
        )

    def _fit_student(
        self,
        train: LabeledSet,
        val: LabeledSet,
        texts: Sequence[str],
        teacher_logits: NDArray[np.float64],
        progress: Progress,
    ) -> list[Any]:
        from classifier.inference import softmax
        from classifier.training._distill import StudentShape, build_student
        from classifier.training._torch_fit import FitConfig, TokenTable, fit_model

        shape = StudentShape(
            self.student_layers, self.student_hidden, self.student_heads, self.student_intermediate
        )
        self.student_ = build_student(shape, self.teacher_, self.student_init, len(self.tiers))
        n_unlabeled = len(texts) - len(train)
        k = len(self.tiers)
        targets = np.vstack([train.targets, np.full((n_unlabeled, k), 1.0 / k)])
        gt_weight = np.concatenate([train.weights * self.gt_weight, np.zeros(n_unlabeled)])
        kd_probs = softmax(teacher_logits, self.kd_temperature)
        train_table = TokenTable(
            *self._encode(texts, self.student_max_tokens), targets, gt_weight, kd_probs
        )
        val_table = TokenTable(
            *self._encode(val.texts, self.student_max_tokens), val.targets, val.weights
        )
        config = FitConfig(
            epochs=self.student_epochs,
            learning_rate=self.student_learning_rate,
            batch_size=self.batch_size,
            patience=self.patience,
            kd_weight=self.kd_weight,
            kd_temperature=self.kd_temperature,
        )
        return fit_model(
            self.student_,
            train_table,
            val_table,
            config,
            seed=self.seed + 1,
            progress=progress,
            desc="student",
        )

    def _predict(self, model: Any, texts: Sequence[str], max_tokens: int) -> NDArray[np.float64]:
        from classifier.training._torch_fit import encoded_logits

        if not texts:
            return np.zeros((0, len(self.tiers)))
        return encoded_logits(model, *self._encode(texts, max_tokens))

    # ------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "student_"):
            raise ClassifierError("ComplexityTrainer is not fitted: call fit() first")

    def student_logits(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Uncalibrated student logits (torch FP32), one row per text."""
        self._check_fitted()
        return self._predict(self.student_, texts, self.student_max_tokens)

    def teacher_logits(self, texts: Sequence[str]) -> NDArray[np.float64]:
        self._check_fitted()
        return self._predict(self.teacher_, texts, self.teacher_max_tokens)

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated student tier probabilities (what the served artifact returns)."""
        from classifier.inference import softmax

        return softmax(self.student_logits(texts), self.temperature_)

    # ---------------------------------------------------------------- save
    def save(
        self,
        out_dir: str | Path,
        *,
        parity_texts: Sequence[str] = (),
        metadata: Mapping[str, Any] | None = None,
        model_card: str | None = None,
    ) -> ParityReport:
        """Write the student as the INT8 artifact; print and return the parity check."""
        from classifier.training._export import parity_check, write_artifact

        self._check_fitted()
        out = Path(out_dir)
        params = {k: v for k, v in self.get_params().items() if k != "progress"}
        info = {
            "trainer": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
            "student": f"bert {self.student_layers}x{self.student_hidden}",
            "teacher": self.teacher,
            "n_train": self.n_train_,
            "n_val": self.n_val_,
            "n_unlabeled": self.n_unlabeled_,
            **dict(metadata or {}),
        }
        write_artifact(
            self.student_,
            self.tokenizer_path_,
            out,
            tiers=self.tiers,
            max_tokens=self.student_max_tokens,
            temperature=self.temperature_,
            metadata=info,
            head_fraction=self.head_fraction,
            name=f"minilm-distill-{self.student_layers}x{self.student_hidden}",
            model_card=model_card,
        )
        texts = list(parity_texts) or [
            "What is 2 + 2?",
            "Prove that there are infinitely many primes.",
        ]
        report = parity_check(self.student_, out, texts)
        if self.progress:
            from rich.console import Console

            Console(stderr=True).print(f"{out}: {report}")
        return report

    def save_teacher(self, out_dir: str | Path, *, quantize: bool = False) -> Path:
        """Write the fine-tuned teacher as an artifact too (FP32 by default).

        Not served: it is the reference that ``bench/route_latency.py`` and
        ``tierroute evaluate`` put beside the student (about 90 MB FP32, 23 MB INT8).
        """
        from classifier.training._export import write_artifact

        self._check_fitted()
        return write_artifact(
            self.teacher_,
            self.tokenizer_path_,
            Path(out_dir),
            tiers=self.tiers,
            max_tokens=self.teacher_max_tokens,
            temperature=self.teacher_temperature_,
            metadata={"teacher": self.teacher, "role": "teacher (reference, not served)"},
            quantize=quantize,
            head_fraction=self.head_fraction,
            name=f"{self.teacher}-teacher",
        )
