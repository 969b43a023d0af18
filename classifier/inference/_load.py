"""Load a scorer from an artifact on disk (no registry, no shipped-model names)."""

from __future__ import annotations

from pathlib import Path

from classifier._scorer import ComplexityScorer
from classifier.inference._onnx import OnnxComplexityScorer
from classifier.inference._tfidf import TfidfScorer
from policies import ClassifierError

__all__ = ["TFIDF_FILE", "load_artifact"]

TFIDF_FILE = "tfidf_lr.json"


def load_artifact(path: str | Path) -> ComplexityScorer:
    """The scorer in ``path``: a TF-IDF ``.json`` file, or a directory holding
    ``model.onnx`` (the ONNX student) or ``tfidf_lr.json``."""
    path = Path(path)
    if path.is_file() and path.suffix == ".json":
        return TfidfScorer.load(path)
    if (path / "model.onnx").is_file():
        return OnnxComplexityScorer.load(path)
    if (path / TFIDF_FILE).is_file():
        return TfidfScorer.load(path / TFIDF_FILE)
    raise ClassifierError(
        f"{path}: not a classifier artifact (expected a directory with model.onnx or "
        f"{TFIDF_FILE}, a TF-IDF .json file, 'tfidf' or a models:/ URI)"
    )
