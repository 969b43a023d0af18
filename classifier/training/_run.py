"""``tierroute train`` as a function: label dataset in, artifact directory out.

:func:`train_label_dataset` reads ``labels.parquet`` (checked against the column
contract), fits a :class:`~classifier.training._trainer.ComplexityTrainer`, writes the INT8
artifact, checks FP32-vs-INT8 parity, scores teacher and served student on the
validation and test splits and writes ``model_card.md``. It returns a
:class:`TrainingReport`, which the CLI prints and MLflow logging can record.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.training._card import render_model_card
from classifier.training._data import (
    labeled_set,
    read_label_dataset,
    read_unlabeled_prompts,
    resolve_label_tiers,
)
from classifier.training._report import SplitScores, TrainingReport
from classifier.training._trainer import ComplexityTrainer
from policies import ClassifierError

if TYPE_CHECKING:
    import polars as pl


__all__ = ["SplitScores", "TrainingReport", "train_label_dataset"]


def split_scores(
    probs: np.ndarray[Any, Any], truth: np.ndarray[Any, Any], tiers: Sequence[str]
) -> SplitScores:
    from classifier._metrics import classification_metrics

    m = classification_metrics(probs, truth.astype(np.int64), tiers)
    return SplitScores(m.n, m.accuracy, m.macro_f1, m.ece, m.majority_accuracy)


def _splits(frame: pl.DataFrame, max_examples: int | None, seed: int) -> dict[str, pl.DataFrame]:
    import polars as pl

    parts = {name: frame.filter(pl.col("split") == name) for name in ("train", "val", "test")}
    if parts["val"].height == 0:  # carve a stable 10 % of train for early stopping
        index = np.random.default_rng(seed).permutation(parts["train"].height)
        cut = max(1, parts["train"].height // 10)
        train = parts["train"]
        parts["val"], parts["train"] = train[np.sort(index[:cut])], train[np.sort(index[cut:])]
    if max_examples is not None and parts["train"].height > max_examples:
        index = np.random.default_rng(seed).permutation(parts["train"].height)[:max_examples]
        parts["train"] = parts["train"][np.sort(index)]
    return parts


def _counts(parts: Mapping[str, pl.DataFrame]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for split, frame in parts.items():
        if "source" in frame.columns:
            counts = frame["source"].fill_null("unknown").value_counts(sort=True)
            out[split] = {str(s): int(n) for s, n in counts.iter_rows()}
        else:
            out[split] = {"unknown": frame.height}
    return out


def _unlabeled(data_dir: Path | None, max_prompts: int, labeled: set[str], seed: int) -> list[str]:
    from classifier._settings import shared_data_dir

    if max_prompts <= 0:
        return []
    folder = data_dir or shared_data_dir()
    return [t for t in read_unlabeled_prompts(folder, max_prompts, seed) if t not in labeled]


def _score_all(
    trainer: ComplexityTrainer, parts: Mapping[str, pl.DataFrame], out_dir: Path
) -> dict[str, dict[str, SplitScores]]:
    """Teacher (torch, temperature fitted on val) and served student (the INT8 artifact)."""
    from classifier.inference import OnnxComplexityScorer, softmax

    scorer = OnnxComplexityScorer.load(out_dir, threads=min(2, trainer.num_threads))
    scores: dict[str, dict[str, SplitScores]] = {"teacher": {}, "student": {}}
    for split in ("val", "test"):
        if parts[split].height == 0:
            continue
        data = labeled_set(parts[split], trainer.tiers, where=split)
        teacher = softmax(trainer.teacher_logits(data.texts), trainer.teacher_temperature_)
        scores["teacher"][split] = split_scores(teacher, data.labels, trainer.tiers)
        student = scorer.score(list(data.texts))
        scores["student"][split] = split_scores(student, data.labels, trainer.tiers)
    return scores


def train_label_dataset(
    data: str | Path,
    out_dir: str | Path,
    *,
    trainer: ComplexityTrainer | None = None,
    max_examples: int | None = None,
    unlabeled_max: int = 3000,
    data_dir: Path | None = None,
    teacher_out: str | Path | None = None,
    tiers: Sequence[str] | None = None,
) -> TrainingReport:
    """Train on ``data`` (labels.parquet or its folder) and write the artifact to ``out_dir``.

    ``teacher_out``: also write the teacher's FP32 artifact there (a reference, not served).
    ``tiers``: the tier order (a policy's); default: the ``trainer``'s when one is given,
    else the order stored in the label file (:func:`resolve_label_tiers`).
    """
    started = time.perf_counter()
    if trainer is None:
        trainer = ComplexityTrainer(resolve_label_tiers(data, tiers))
    else:
        if tiers is not None and tuple(tiers) != trainer.tiers:
            raise ClassifierError(f"tiers: {list(tiers)}: the trainer has {list(trainer.tiers)}")
        resolve_label_tiers(data, trainer.tiers)  # refuses labels made with another order
    out = Path(out_dir)
    frame = read_label_dataset(data)
    parts = _splits(frame, max_examples, trainer.seed)
    labeled = set(frame["text"].to_list())
    unlabeled = _unlabeled(data_dir, unlabeled_max, labeled, trainer.seed)
    trainer.fit(parts["train"], parts["val"], unlabeled)
    held_out = parts["test"] if parts["test"].height else parts["val"]
    parity = trainer.save(out, parity_texts=held_out["text"].to_list()[:512])
    if teacher_out is not None:
        trainer.save_teacher(teacher_out)
    scores = _score_all(trainer, parts, out)
    from classifier.inference import read_artifact_config

    report = TrainingReport(
        out_dir=out,
        version=read_artifact_config(out).version,
        data=Path(data),
        wall_s=time.perf_counter() - started,
        temperature=trainer.temperature_,
        teacher_temperature=trainer.teacher_temperature_,
        parity=parity,
        scores=scores,
        counts=_counts(parts),
        n_unlabeled=len(unlabeled),
        timings=dict(trainer.timings_),
        params=trainer.get_params(),
        history=dict(trainer.history_),
    )
    write_model_card(out, {}, base=render_model_card(report))
    return report


def write_model_card(
    out_dir: str | Path, sections: Mapping[str, str], *, base: str | None = None
) -> Path:
    """Add or replace ``## <title>`` sections of ``out_dir/model_card.md``.

    ``sections`` maps a section title to its markdown body; a section with the same
    title is replaced in place, a new one is appended. ``base`` replaces the whole
    card first (training writes it; evaluation adds baselines and routing metrics).
    """
    from classifier.inference import CARD_FILE

    path = Path(out_dir) / CARD_FILE
    if base is None and not path.is_file():
        raise ClassifierError(f"{path}: no model card to extend (train the model first)")
    text = base if base is not None else path.read_text(encoding="utf-8")
    head, titled = _split_sections(text)
    for title, body in sections.items():
        titled[title.strip()] = body.strip() + "\n"
    parts = [head.rstrip() + "\n"] + [f"\n## {t}\n\n{b.rstrip()}\n" for t, b in titled.items()]
    path.write_text("".join(parts), encoding="utf-8")
    return path


def _split_sections(text: str) -> tuple[str, dict[str, str]]:
    """(text before the first ``## ``, {title: body}) in document order."""
    head: list[str] = []
    titled: dict[str, list[str]] = {}
    current: list[str] = head
    for line in text.splitlines():
        if line.startswith("## "):
            current = titled.setdefault(line[3:].strip(), [])
            continue
        current.append(line)
    return "\n".join(head), {t: "\n".join(lines).strip() + "\n" for t, lines in titled.items()}
