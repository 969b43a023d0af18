"""The torch training loop shared by the teacher and the student.

One loss covers both: per row, ``gt_weight x soft-CE(ground truth)`` plus, when the
row has teacher probabilities, ``kd_weight x T^2 x KL(teacher_T || student_T)``
(Hinton et al. 2015). Rows without a label (unlabeled real prompts) carry
``gt_weight = 0`` and learn from the teacher alone. AdamW with linear warm-up and
decay, evaluation on the validation split a few times per epoch, early stopping on
validation loss, and the best weights restored at the end.

Batches are drawn in a seeded order and grouped by length inside chunks, so padding
stays small without losing the shuffle (a big saving on CPU).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import torch
    from rich.progress import Progress

__all__ = [
    "FitConfig",
    "Table",
    "TokenTable",
    "encoded_logits",
    "fit_model",
    "predict_logits",
    "seed_torch",
]


class Table(Protocol):
    """Rows a model trains on: targets per row, and a forward pass over chosen rows."""

    @property
    def targets(self) -> NDArray[np.float64]:
        """(n, k) ground-truth soft labels (ignored where ``gt_weight`` is 0)."""

    @property
    def gt_weight(self) -> NDArray[np.float64]:
        """(n,) weight of the ground-truth term."""

    @property
    def teacher_probs(self) -> NDArray[np.float64] | None:
        """(n, k) teacher probabilities at the distillation temperature, if any."""

    def __len__(self) -> int: ...

    @property
    def lengths(self) -> NDArray[np.int64]: ...

    def forward(self, model: Any, rows: NDArray[np.int64]) -> torch.Tensor: ...

    def take(self, rows: NDArray[np.int64]) -> Table: ...


@dataclass(frozen=True)
class TokenTable:
    """Encoded rows (right-padded) and the training targets per row."""

    input_ids: NDArray[np.int64]  # (n, L)
    attention_mask: NDArray[np.int64]  # (n, L)
    targets: NDArray[np.float64]
    gt_weight: NDArray[np.float64]
    teacher_probs: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def lengths(self) -> NDArray[np.int64]:
        return np.asarray(self.attention_mask.sum(axis=1), dtype=np.int64)

    def forward(self, model: Any, rows: NDArray[np.int64]) -> torch.Tensor:
        """Logits of ``model`` on ``rows``, trimmed to the longest row of the batch."""
        import torch

        mask = self.attention_mask[rows]
        width = max(2, int(mask.sum(axis=1).max()))
        ids = torch.from_numpy(np.ascontiguousarray(self.input_ids[rows, :width]))
        out = model(
            input_ids=ids, attention_mask=torch.from_numpy(np.ascontiguousarray(mask[:, :width]))
        )
        return out.logits  # type: ignore[no-any-return]

    def take(self, rows: NDArray[np.int64]) -> TokenTable:
        probs = None if self.teacher_probs is None else self.teacher_probs[rows]
        return TokenTable(
            self.input_ids[rows],
            self.attention_mask[rows],
            self.targets[rows],
            self.gt_weight[rows],
            probs,
        )


@dataclass(frozen=True)
class FitConfig:
    epochs: float
    learning_rate: float
    batch_size: int = 32
    weight_decay: float = 0.01
    warmup_share: float = 0.06
    patience: int = 2  # evaluations without improvement before stopping
    evals_per_epoch: int = 2
    kd_weight: float = 0.0
    kd_temperature: float = 2.0
    max_grad_norm: float = 1.0


def seed_torch(seed: int, num_threads: int) -> None:
    """Seed torch and pin its thread count.

    The CPU kernels BERT uses (matmul, softmax, layer norm, embedding backward) are
    deterministic for a fixed thread count, so the seed alone reproduces a run;
    ``torch.use_deterministic_algorithms`` would only add a slow import of the compiler.
    """
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(max(1, num_threads))


def batch_order(
    lengths: NDArray[np.int64], batch_size: int, rng: np.random.Generator
) -> list[NDArray[np.int64]]:
    """Seeded shuffle, then sort by length inside chunks of 50 batches; batches shuffled."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches: list[NDArray[np.int64]] = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def batch_loss(
    model: Any, table: Table, rows: NDArray[np.int64], config: FitConfig
) -> torch.Tensor:
    """Weighted mean over the batch of the ground-truth and distillation terms."""
    import torch
    import torch.nn.functional as F

    logits = table.forward(model, rows)
    log_probs = F.log_softmax(logits, dim=-1)
    targets = torch.from_numpy(table.targets[rows]).to(logits.dtype)
    gt_weight = torch.from_numpy(table.gt_weight[rows]).to(logits.dtype)
    loss = gt_weight * -(targets * log_probs).sum(dim=-1)
    if table.teacher_probs is not None and config.kd_weight > 0:
        t = config.kd_temperature
        teacher = torch.from_numpy(table.teacher_probs[rows]).to(logits.dtype)
        student_t = F.log_softmax(logits / t, dim=-1)
        kl = (teacher * (torch.log(teacher.clamp_min(1e-8)) - student_t)).sum(dim=-1)
        loss = loss + config.kd_weight * t * t * kl
    return loss.mean()


def predict_logits(model: Any, table: Table, batch_size: int = 64) -> NDArray[np.float64]:
    """Logits in row order; rows are scored in length order to keep padding small."""
    import torch

    order = np.argsort(table.lengths, kind="stable")
    was_training = model.training
    model.eval()
    parts = []
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            parts.append(table.forward(model, order[start : start + batch_size]).double().numpy())
    model.train(was_training)
    out = np.concatenate(parts) if parts else np.zeros((0, table.targets.shape[1]))
    result = np.empty_like(out)
    result[order] = out
    return result


def encoded_logits(
    model: Any,
    input_ids: NDArray[np.int64],
    attention_mask: NDArray[np.int64],
    batch_size: int = 64,
) -> NDArray[np.float64]:
    """Logits of a token model on already encoded rows, in input order."""
    n = len(input_ids)
    table = TokenTable(input_ids, attention_mask, np.zeros((n, 1)), np.zeros(n))
    return predict_logits(model, table, batch_size)


def _val_loss(model: Any, val: Table) -> float:
    logits = predict_logits(model, val)
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    per_row = -(val.targets * log_probs).sum(axis=1)
    return float((per_row * val.gt_weight).sum() / max(val.gt_weight.sum(), 1e-12))


def _schedule(total: int, warmup: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


class _EarlyStopping:
    """Track validation loss; remember the best weights; say when patience ran out."""

    def __init__(self, model: Any, patience: int) -> None:
        self.model, self.patience = model, patience
        self.best_loss, self.best_state = math.inf, copy.deepcopy(model.state_dict())
        self.stale = 0
        self.history: list[dict[str, float]] = []

    @property
    def stop(self) -> bool:
        return self.stale > self.patience

    def evaluate(self, val: Table, record: dict[str, float]) -> None:
        val_loss = _val_loss(self.model, val)
        self.history.append({**record, "val_loss": val_loss})
        if val_loss < self.best_loss - 1e-4:
            self.best_loss, self.stale = val_loss, 0
            self.best_state = copy.deepcopy(self.model.state_dict())
        else:
            self.stale += 1


def _optimizer(model: Any, config: FitConfig, total: int) -> tuple[Any, Any]:
    import torch

    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _schedule(total, int(total * config.warmup_share))
    )
    return optimizer, scheduler


def fit_model(
    model: Any,
    train: Table,
    val: Table,
    config: FitConfig,
    *,
    seed: int,
    progress: Progress | None = None,
    desc: str = "train",
) -> list[dict[str, float]]:
    """Train ``model`` in place; return the evaluation history; keep the best weights."""
    import torch

    rng = np.random.default_rng(seed)
    lengths = train.lengths
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = max(1, math.ceil(steps_per_epoch * config.epochs))
    eval_every = max(1, steps_per_epoch // max(1, config.evals_per_epoch))
    optimizer, scheduler = _optimizer(model, config, total)
    task = progress.add_task(desc, total=total) if progress is not None else None
    stopper = _EarlyStopping(model, config.patience)
    step, running = 0, 0.0
    model.train()
    while step < total and not stopper.stop:
        for rows in batch_order(lengths, config.batch_size, rng):
            loss = batch_loss(model, train, rows, config)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            step, running = step + 1, running + loss.item()
            if progress is not None and task is not None:
                progress.update(
                    task,
                    advance=1,
                    description=f"{desc} loss {loss.item():.3f}",
                )
            if step % eval_every == 0 or step == total:
                record = {"step": float(step), "epoch": step / steps_per_epoch}
                stopper.evaluate(val, {**record, "train_loss": running / eval_every})
                running = 0.0
                model.train()
            if step >= total or stopper.stop:
                break
    model.load_state_dict(stopper.best_state)
    model.eval()
    return stopper.history
