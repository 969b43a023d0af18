"""Resolve a model reference to a tier scorer; the local data directory.

A reference is ``default`` (the shipped model), ``tfidf`` (the shipped TF-IDF
baseline), a TF-IDF ``.json`` file, an artifact directory, or a registry URI
(``models:/NAME@ALIAS``, ``models:/NAME/VERSION``; downloaded first).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from classifier._baselines import TierScorer
from policies import ClassifierError

__all__ = ["TFIDF_FILE", "artifact_metadata", "load_scorer", "local_data_dir"]

TFIDF_FILE = "tfidf_lr.json"


def local_data_dir() -> Path:
    """``$TIERROUTE_DATA_DIR`` or ``./.tierroute``: local store, caches (gitignored)."""
    return Path(os.environ.get("TIERROUTE_DATA_DIR") or ".tierroute").resolve()


def load_scorer(spec: str | Path, *, tracking_uri: str | None = None) -> TierScorer:
    """A tier scorer from ``default`` (the shipped model), ``tfidf`` (the shipped TF-IDF),
    a TF-IDF ``.json``, an artifact directory (``model.onnx`` or ``tfidf_lr.json``
    inside) or a ``models:/NAME@ALIAS`` / ``models:/NAME/VERSION`` URI."""
    from classifier._tfidf import TfidfScorer

    text = str(spec)
    if text == "default":
        from classifier._onnx import load_default_scorer

        return load_default_scorer()
    if text == "tfidf":
        return TfidfScorer.load()
    if text.startswith("models:/"):
        from classifier._registry import load_registered

        return load_scorer(load_registered(text, tracking_uri=tracking_uri))
    path = Path(spec)
    if path.is_file() and path.suffix == ".json":
        return TfidfScorer.load(path)
    if (path / "model.onnx").is_file():
        from classifier._onnx import OnnxComplexityScorer

        return OnnxComplexityScorer.load(path)
    if (path / TFIDF_FILE).is_file():
        return TfidfScorer.load(path / TFIDF_FILE)
    raise ClassifierError(
        f"{path}: not a classifier artifact (expected a directory with model.onnx or "
        f"{TFIDF_FILE}, a TF-IDF .json file, 'tfidf' or a models:/ URI)"
    )


def artifact_metadata(artifact_dir: Path) -> dict[str, Any]:
    from classifier._artifact import read_artifact_config

    if (artifact_dir / "config.json").is_file():
        return dict(read_artifact_config(artifact_dir).metadata)
    return {}
