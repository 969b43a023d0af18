"""Train the teacher's top layers on cached hidden states of its frozen lower layers.

Fine-tuning all of MiniLM costs about three forward passes per example and epoch; on
a 2-core CPU that is an hour per epoch for ~10 k prompts. With the embeddings and the
lower ``n - k`` layers frozen, their output never changes: it is computed once per
text (fp16, only the real tokens are kept) and every epoch runs just the top ``k``
layers, the pooler and the head on it (forward and backward). Epochs then cost
``k / n`` of a forward pass each instead of ~3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import torch
    from rich.progress import Progress

__all__ = ["HiddenTable", "cache_states", "frozen_layers", "top_logits"]


def frozen_layers(model: Any) -> int:
    """How many encoder layers (from the bottom) have no trainable parameter."""
    count = 0
    for layer in model.bert.encoder.layer:
        if any(p.requires_grad for p in layer.parameters()):
            break
        count += 1
    embeddings_frozen = not any(p.requires_grad for p in model.bert.embeddings.parameters())
    return count if embeddings_frozen else 0


def _attention_bias(model: Any, hidden: torch.Tensor, mask: torch.Tensor) -> Any:
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=model.config, inputs_embeds=hidden, attention_mask=mask)


def bottom_states(model: Any, ids: torch.Tensor, mask: torch.Tensor, n_frozen: int) -> torch.Tensor:
    """Output of the embeddings and the first ``n_frozen`` encoder layers."""
    hidden = model.bert.embeddings(input_ids=ids)
    bias = _attention_bias(model, hidden, mask)
    for layer in model.bert.encoder.layer[:n_frozen]:
        hidden = layer(hidden, bias)
    return hidden  # type: ignore[no-any-return]


def top_logits(model: Any, hidden: torch.Tensor, mask: torch.Tensor, n_frozen: int) -> torch.Tensor:
    """The rest of ``BertForSequenceClassification``: upper layers, pooler, dropout, head."""
    bias = _attention_bias(model, hidden, mask)
    for layer in model.bert.encoder.layer[n_frozen:]:
        hidden = layer(hidden, bias)
    pooled = model.bert.pooler(hidden)
    return model.classifier(model.dropout(pooled))  # type: ignore[no-any-return]


def cache_states(
    model: Any,
    input_ids: NDArray[np.int64],
    attention_mask: NDArray[np.int64],
    n_frozen: int,
    *,
    batch_size: int = 64,
    progress: Progress | None = None,
    desc: str = "teacher cache",
) -> list[NDArray[np.float16]]:
    """Per row, the frozen part's output over the row's real tokens (fp16, row order)."""
    import torch

    lengths = attention_mask.sum(axis=1)
    order = np.argsort(lengths, kind="stable")
    out: list[NDArray[np.float16]] = [np.zeros((0, 0), dtype=np.float16)] * len(order)
    task = progress.add_task(desc, total=len(order)) if progress is not None else None
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(2, int(lengths[rows].max()))
            ids = torch.from_numpy(np.ascontiguousarray(input_ids[rows, :width]))
            mask = torch.from_numpy(np.ascontiguousarray(attention_mask[rows, :width]))
            states = bottom_states(model, ids, mask, n_frozen).to(torch.float16).numpy()
            for j, row in enumerate(rows):
                out[row] = states[j, : lengths[row]].copy()
            if progress is not None and task is not None:
                progress.update(task, advance=len(rows))
    model.train(was_training)
    return out


@dataclass(frozen=True)
class HiddenTable:
    """Cached lower-layer states per row plus targets: a ``Table`` for ``fit_model``."""

    states: list[NDArray[np.float16]]  # per row (length_i, hidden)
    n_frozen: int
    targets: NDArray[np.float64]
    gt_weight: NDArray[np.float64]
    teacher_probs: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.states)

    @property
    def lengths(self) -> NDArray[np.int64]:
        return np.array([s.shape[0] for s in self.states], dtype=np.int64)

    def forward(self, model: Any, rows: NDArray[np.int64]) -> torch.Tensor:
        import torch

        chosen = [self.states[r] for r in rows]
        width = max(s.shape[0] for s in chosen)
        hidden = np.zeros((len(chosen), width, chosen[0].shape[1]), dtype=np.float32)
        mask = np.zeros((len(chosen), width), dtype=np.int64)
        for j, state in enumerate(chosen):
            hidden[j, : state.shape[0]] = state
            mask[j, : state.shape[0]] = 1
        return top_logits(model, torch.from_numpy(hidden), torch.from_numpy(mask), self.n_frozen)

    def take(self, rows: NDArray[np.int64]) -> HiddenTable:
        probs = None if self.teacher_probs is None else self.teacher_probs[rows]
        return HiddenTable(
            [self.states[r] for r in rows],
            self.n_frozen,
            self.targets[rows],
            self.gt_weight[rows],
            probs,
        )
