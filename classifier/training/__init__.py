"""Training a complexity classifier: labels.parquet in, an ONNX INT8 artifact out.

    >>> from classifier.training import train_label_dataset
    >>> report = train_label_dataset("build/labels/labels.parquet", "artifacts/minilm-int8")

Importing stays light: torch, transformers and scikit-learn load inside the functions
that need them (``pip install 'tierroute[train]'``). The artifact format and the scorers
that read it are :mod:`classifier.inference`.
"""

from __future__ import annotations

from classifier.training._data import (
    DEFAULT_TIERS,
    LabeledSet,
    labeled_set,
    read_label_dataset,
    resolve_label_tiers,
)
from classifier.training._export import (
    DEFAULT_QUANTIZATION,
    ParityReport,
    parity_check,
    torch_logits,
    write_artifact,
)
from classifier.training._head_fit import (
    C_GRID,
    HEAD_BLOCKS,
    QUICK_BLOCKS,
    QUICK_C,
    HeadTrainReport,
    train_head,
)
from classifier.training._head_train import fit_ordinal_head
from classifier.training._report import SplitScores, TrainingReport
from classifier.training._run import train_label_dataset, write_model_card
from classifier.training._tfidf_train import TfidfTrainer, train_routerbench_baseline
from classifier.training._trainer import ComplexityTrainer

__all__ = [
    "C_GRID",
    "DEFAULT_QUANTIZATION",
    "DEFAULT_TIERS",
    "HEAD_BLOCKS",
    "QUICK_BLOCKS",
    "QUICK_C",
    "ComplexityTrainer",
    "HeadTrainReport",
    "LabeledSet",
    "ParityReport",
    "SplitScores",
    "TfidfTrainer",
    "TrainingReport",
    "fit_ordinal_head",
    "labeled_set",
    "parity_check",
    "read_label_dataset",
    "resolve_label_tiers",
    "torch_logits",
    "train_head",
    "train_label_dataset",
    "train_routerbench_baseline",
    "write_artifact",
    "write_model_card",
]
