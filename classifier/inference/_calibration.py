"""Temperature scaling and expected calibration error (numpy only).

Temperature scaling (Guo et al. 2017) divides the logits by one scalar ``T`` fitted on
validation data to minimise the negative log-likelihood; it changes confidence, never
the argmax. Targets may be hard labels (class indices) or soft labels (one probability
row per example, e.g. the label dataset's ``tier_probs``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from policies import ClassifierError

__all__ = ["expected_calibration_error", "fit_temperature", "softmax"]

_T_MIN, _T_MAX = 0.05, 20.0


def softmax(logits: ArrayLike, temperature: float = 1.0) -> NDArray[np.float64]:
    """Row-wise softmax of ``logits / temperature`` (numerically stable)."""
    if not temperature > 0:
        raise ClassifierError(f"temperature: must be > 0, got {temperature}")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: NDArray[np.float64] = e / e.sum(axis=-1, keepdims=True)
    return out


def _targets(labels: ArrayLike, n: int, k: int) -> NDArray[np.float64]:
    """Labels as an (n, k) probability matrix (one-hot for class indices)."""
    y = np.asarray(labels)
    if y.ndim == 1:
        if y.shape[0] != n:
            raise ClassifierError(f"labels: {y.shape[0]} labels for {n} rows of logits")
        if y.size and (y.min() < 0 or y.max() >= k):
            raise ClassifierError(
                f"labels: class indices must be in [0, {k}), got {y.min()}..{y.max()}"
            )
        onehot = np.zeros((n, k))
        onehot[np.arange(n), y.astype(np.int64)] = 1.0
        return onehot
    if y.shape != (n, k):
        raise ClassifierError(f"labels: soft labels of shape {y.shape}, expected {(n, k)}")
    return y.astype(np.float64)


def _nll(
    logits: NDArray[np.float64],
    targets: NDArray[np.float64],
    weights: NDArray[np.float64],
    temperature: float,
) -> float:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-((targets * log_probs).sum(axis=1) * weights).sum())


def fit_temperature(
    logits: ArrayLike,
    labels: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    tol: float = 1e-4,
) -> float:
    """The temperature in [0.05, 20] that minimises the NLL of ``softmax(logits / T)``.

    Golden-section search over log T (the NLL is convex in 1/T, hence unimodal).
    ``labels``: class indices of shape (n,) or soft targets of shape (n, k);
    ``weights``: optional non-negative weight per example.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] == 0:
        raise ClassifierError(f"logits: expected a non-empty (n, k) array, got shape {z.shape}")
    targets = _targets(labels, z.shape[0], z.shape[1])
    w = np.ones(z.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (z.shape[0],) or (w < 0).any() or not w.sum() > 0:
        raise ClassifierError(f"weights: expected {z.shape[0]} non-negative weights, not all 0")
    w = w / w.sum()
    lo, hi = math.log(_T_MIN), math.log(_T_MAX)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = _nll(z, targets, w, math.exp(a)), _nll(z, targets, w, math.exp(b))
    while hi - lo > tol:
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = _nll(z, targets, w, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = _nll(z, targets, w, math.exp(b))
    return math.exp((lo + hi) / 2)


def expected_calibration_error(probs: ArrayLike, labels: ArrayLike, n_bins: int = 15) -> float:
    """Top-label ECE: sum over equal-width confidence bins of |accuracy - confidence| x share.

    ``labels``: class indices (n,), or soft targets (n, k) whose argmax is taken.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ClassifierError(f"probs: expected a non-empty (n, k) array, got shape {p.shape}")
    y = np.asarray(labels)
    y = y.argmax(axis=1) if y.ndim == 2 else y
    if y.shape != (p.shape[0],):
        raise ClassifierError(f"labels: shape {y.shape} does not match {p.shape[0]} rows")
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - confidence[in_bin].mean())
            ece += gap * in_bin.mean()
    return float(ece)
