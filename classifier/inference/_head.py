"""The feature head: structure features + the student's outputs -> ordinal tier probabilities.

``head.json`` beside ``model.onnx`` in an artifact directory turns the ONNX scorer's
output into the head's: the inputs (:data:`INPUT_BLOCKS`: the prompt's structure
features from :mod:`classifier.inference._features`, the student's logits and, when the graph
exposes it, its pooled vector) are standardised with the stored mean and scale and
weighted into one score ``s`` ("a stronger tier succeeds where a cheaper one fails", in
log-odds). Tier probabilities follow a cumulative-logit (ordinal) model with one cutpoint
per tier boundary, ``P(tier >= k) = sigmoid(s - c_k)``, so the router's complexity
(the expected tier position) rises monotonically with ``s``. numpy only.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifier.inference._features import FEATURE_NAMES
from policies import ClassifierError

__all__ = ["HEAD_FILE", "INPUT_BLOCKS", "FeatureHead", "read_head"]

HEAD_FILE = "head.json"
INPUT_BLOCKS = ("struct", "logits", "pooled")
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class FeatureHead:
    """Weights of the head (see the module docstring); ``blocks`` in :data:`INPUT_BLOCKS`."""

    blocks: tuple[str, ...]
    feature_names: tuple[str, ...]  # the struct features, in training order
    mean: Floats
    scale: Floats
    coef: Floats
    intercept: float
    cutpoints: tuple[float, ...]  # one per tier boundary, increasing
    metadata: Mapping[str, Any]

    @property
    def digest(self) -> str:
        raw = json.dumps(self.to_json(with_metadata=False), sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:8]

    def to_json(self, *, with_metadata: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format_version": 1,
            "blocks": list(self.blocks),
            "feature_names": list(self.feature_names),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "coef": [float(v) for v in self.coef],
            "intercept": float(self.intercept),
            "cutpoints": [float(v) for v in self.cutpoints],
        }
        if with_metadata:
            out["metadata"] = dict(self.metadata)
        return out

    def save(self, artifact_dir: Path) -> Path:
        path = artifact_dir / HEAD_FILE
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        return path

    def inputs(self, struct: Floats, logits: Floats, pooled: Floats | None) -> Floats:
        parts = {"struct": struct, "logits": logits, "pooled": pooled}
        chosen = [parts[b] for b in self.blocks]
        if any(p is None for p in chosen):
            raise ClassifierError("feature head: the model graph does not expose 'pooled'")
        x = np.hstack([np.asarray(p, dtype=np.float64) for p in chosen if p is not None])
        if x.shape[1] != len(self.mean):
            raise ClassifierError(
                f"feature head: {x.shape[1]} inputs, the head was trained on {len(self.mean)}"
            )
        return x

    def strong_score(self, x: Floats) -> Floats:
        """The head's score ``s`` per row (log-odds that a stronger tier is needed)."""
        out: Floats = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return out

    def probs(self, x: Floats) -> Floats:
        """Ordinal tier probabilities, cheapest first; rows sum to 1."""
        s = self.strong_score(x)
        cut = np.asarray(self.cutpoints)
        at_least = 1.0 / (1.0 + np.exp(-(s[:, None] - cut[None, :])))  # P(tier >= k), k >= 1
        upper = np.hstack([np.ones((len(s), 1)), at_least])
        lower = np.hstack([at_least, np.zeros((len(s), 1))])
        out: Floats = np.clip(upper - lower, 0.0, 1.0)
        normalised: Floats = out / out.sum(axis=1, keepdims=True)
        return normalised


def _floats(raw: Any, name: str, n: int | None, where: Path) -> Floats:
    if not isinstance(raw, list) or (n is not None and len(raw) != n):
        raise ClassifierError(f"{where}: {name}: expected a list of {n} numbers")
    try:
        values = np.array([float(v) for v in raw], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ClassifierError(f"{where}: {name}: expected numbers") from exc
    if not np.all(np.isfinite(values)):
        raise ClassifierError(f"{where}: {name}: contains nan or inf")
    return values


def read_head(artifact_dir: Path, n_tiers: int, pooled_size: int | None) -> FeatureHead | None:
    """The head of an artifact directory, checked against its tiers; None without head.json.

    ``pooled_size``: width of the graph's pooled output, None when it has none, -1 when
    the graph leaves it symbolic.
    """
    path = artifact_dir / HEAD_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClassifierError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(raw, dict):
        raise ClassifierError(f"{path}: expected a JSON object")
    blocks = tuple(raw.get("blocks") or ())
    if not blocks or any(b not in INPUT_BLOCKS for b in blocks):
        raise ClassifierError(f"{path}: blocks: expected names from {list(INPUT_BLOCKS)}")
    names = tuple(raw.get("feature_names") or ())
    if "struct" in blocks and names != FEATURE_NAMES:
        raise ClassifierError(
            f"{path}: feature_names {list(names)} differ from this version's {list(FEATURE_NAMES)}"
        )
    if "pooled" in blocks and pooled_size is None:
        raise ClassifierError(f"{path}: the head reads 'pooled' but the graph has no such output")
    sizes = {"struct": len(FEATURE_NAMES), "logits": n_tiers, "pooled": pooled_size or 0}
    if pooled_size == -1:  # the graph's pooled width is symbolic: the head's mean says it
        others = sum(sizes[b] for b in blocks if b != "pooled")
        sizes["pooled"] = len(raw.get("mean") or ()) - others
    width = sum(sizes[b] for b in blocks)
    cutpoints = _floats(raw.get("cutpoints"), "cutpoints", n_tiers - 1, path)
    if np.any(np.diff(cutpoints) <= 0):
        raise ClassifierError(f"{path}: cutpoints: must increase")
    scale = _floats(raw.get("scale"), "scale", width, path)
    if np.any(scale <= 0):
        raise ClassifierError(f"{path}: scale: must be positive")
    intercept = raw.get("intercept")
    if not isinstance(intercept, int | float) or not math.isfinite(intercept):
        raise ClassifierError(f"{path}: intercept: expected a number")
    return FeatureHead(
        blocks=blocks,
        feature_names=names,
        mean=_floats(raw.get("mean"), "mean", width, path),
        scale=scale,
        coef=_floats(raw.get("coef"), "coef", width, path),
        intercept=float(intercept),
        cutpoints=tuple(float(c) for c in cutpoints),
        metadata=dict(raw.get("metadata") or {}),
    )


def head_version(base: str, head: FeatureHead) -> str:
    return f"{base}+head-{head.digest}"


def check_blocks(blocks: Sequence[str]) -> None:
    unknown = [b for b in blocks if b not in INPUT_BLOCKS]
    if unknown:
        raise ClassifierError(f"head blocks {unknown}: expected names from {list(INPUT_BLOCKS)}")
