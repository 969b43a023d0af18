"""Fit the feature head (:mod:`classifier.inference._head`) on soft tier labels: fast, CPU, sklearn.

An all-threshold ordinal logistic regression: each example appears once per tier
boundary ``k`` with the soft target ``P(tier >= k)`` (the label's mass at or above
``k``), the standardised inputs share one weight vector and each boundary gets its own
intercept (its cutpoint). Soft targets enter as two weighted copies (target 1 with
weight ``w * y``, target 0 with ``w * (1 - y)``), the exact soft cross-entropy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifier.inference import FEATURE_NAMES, FeatureHead, check_blocks
from policies import ClassifierError

__all__ = ["expose_pooled", "fit_ordinal_head", "head_inputs", "write_head_artifact"]

Floats = NDArray[np.float64]


def _expanded(z: Floats, probs: Floats, weight: Floats) -> tuple[Floats, Floats, Floats]:
    n, k = probs.shape
    at_least = np.cumsum(probs[:, ::-1], axis=1)[:, ::-1][:, 1:]  # P(tier >= j), j = 1..k-1
    blocks, targets, weights = [], [], []
    for j in range(k - 1):
        indicator = np.zeros((n, k - 1))
        indicator[:, j] = 1.0
        blocks.append(np.hstack([z, indicator]))
        targets.append(at_least[:, j])
        weights.append(weight)
    x, y, w = np.vstack(blocks), np.concatenate(targets), np.concatenate(weights)
    return (
        np.vstack([x, x]),
        np.concatenate([np.ones(len(y)), np.zeros(len(y))]),
        np.concatenate([w * y, w * (1 - y)]),
    )


def fit_ordinal_head(
    x: Floats,
    tier_probs: Floats,
    weight: Floats | None = None,
    *,
    blocks: Sequence[str],
    c: float = 0.1,
    metadata: Mapping[str, Any] | None = None,
) -> FeatureHead:
    """The head for inputs ``x`` (built from ``blocks``) and soft labels ``tier_probs``."""
    from sklearn.linear_model import LogisticRegression

    check_blocks(blocks)
    x = np.asarray(x, dtype=np.float64)
    probs = np.asarray(tier_probs, dtype=np.float64)
    w = np.ones(len(x)) if weight is None else np.asarray(weight, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] < 2 or len(probs) != len(x) or len(w) != len(x):
        raise ClassifierError(
            f"head: expected x (n, d), tier_probs (n, k >= 2) and weights (n); got "
            f"{x.shape}, {probs.shape}, {w.shape}"
        )
    keep = np.all(np.isfinite(probs), axis=1) & np.all(np.isfinite(x), axis=1) & (w > 0)
    if keep.sum() < 10:
        raise ClassifierError(f"head: {int(keep.sum())} usable rows; need at least 10")
    x, probs, w = x[keep], probs[keep], w[keep] / w[keep].mean()
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    xx, yy, ww = _expanded((x - mean) / scale, probs, w)
    model = LogisticRegression(C=c, max_iter=3000, fit_intercept=False)
    model.fit(xx, yy, sample_weight=ww)
    d = x.shape[1]
    coef = model.coef_[0][:d]
    cutpoints = -model.coef_[0][d:]
    order = np.argsort(cutpoints)
    if np.any(np.diff(cutpoints[order]) <= 0) or not np.array_equal(order, np.arange(len(order))):
        cutpoints = np.sort(cutpoints) + np.arange(len(cutpoints)) * 1e-6
    return FeatureHead(
        blocks=tuple(blocks),
        feature_names=FEATURE_NAMES if "struct" in blocks else (),
        mean=mean,
        scale=scale,
        coef=coef,
        intercept=0.0,
        cutpoints=tuple(float(v) for v in cutpoints),
        metadata=dict(metadata or {}),
    )


POOLED_OUTPUT = "/inner/bert/pooler/activation/Tanh_output_0"  # the student's pooled [CLS]


def expose_pooled(model_path: Path, out_path: Path) -> None:
    """Copy an INT8 student graph with its pooled vector added as a second output."""
    import onnx

    graph = onnx.load(str(model_path))
    names = [o.name for o in graph.graph.output]
    if POOLED_OUTPUT not in names:
        produced = {out for node in graph.graph.node for out in node.output}
        if POOLED_OUTPUT not in produced:
            raise ClassifierError(f"{model_path}: no node produces {POOLED_OUTPUT!r}")
        graph.graph.output.append(onnx.helper.make_empty_tensor_value_info(POOLED_OUTPUT))
    onnx.save(graph, str(out_path))


def head_inputs(scorer: Any, texts: Sequence[str], blocks: Sequence[str]) -> Floats:
    """The head's input matrix for ``texts`` from an ``OnnxComplexityScorer``."""
    from classifier.inference import prompt_features

    check_blocks(blocks)
    logits, pooled = scorer.outputs(list(texts))
    parts = {"struct": prompt_features(list(texts)), "logits": logits, "pooled": pooled}
    if "pooled" in blocks and pooled is None:
        raise ClassifierError("head: blocks include 'pooled' but the graph has no pooled output")
    return np.hstack([np.asarray(parts[b], dtype=np.float64) for b in blocks])


def write_head_artifact(
    base_dir: Path, out_dir: Path, head: FeatureHead, card: str | None = None
) -> str:
    """``base_dir``'s student (+ pooled output when the head reads it) + ``head.json``
    into ``out_dir``; returns the served version."""
    import shutil

    from classifier.inference import (
        CONFIG_FILE,
        HEAD_FILE,
        LABELS_FILE,
        MODEL_FILE,
        TOKENIZER_FILE,
        head_version,
        read_artifact_config,
    )

    base_dir, out_dir = Path(base_dir), Path(out_dir)
    config = read_artifact_config(base_dir)
    if len(head.cutpoints) != len(config.labels) - 1:
        raise ClassifierError(
            f"head has {len(head.cutpoints) + 1} tiers, {base_dir} has {len(config.labels)}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    same = out_dir.resolve() == base_dir.resolve()
    if not same:
        for name in (TOKENIZER_FILE, LABELS_FILE, CONFIG_FILE):
            shutil.copyfile(base_dir / name, out_dir / name)
    if "pooled" in head.blocks:
        expose_pooled(base_dir / MODEL_FILE, out_dir / MODEL_FILE)
    elif not same:
        shutil.copyfile(base_dir / MODEL_FILE, out_dir / MODEL_FILE)
    (out_dir / HEAD_FILE).unlink(missing_ok=True)
    head.save(out_dir)
    if card is not None:
        (out_dir / "model_card.md").write_text(card, encoding="utf-8")
    return head_version(config.version, head)
