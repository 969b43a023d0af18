"""Resolve a model reference to a complexity scorer: THE loader (``load_scorer``).

A reference is ``default`` (the shipped model), ``tfidf`` (the shipped TF-IDF
baseline), a TF-IDF ``.json`` file, an artifact directory, or a registry URI
(``models:/NAME@ALIAS``, ``models:/NAME/VERSION``; downloaded first).
"""

from __future__ import annotations

from pathlib import Path

from classifier._scorer import ComplexityScorer
from classifier.inference import TfidfScorer, load_artifact, load_default_scorer

__all__ = ["load_scorer"]


def load_scorer(
    spec: str | Path | None = "default",
    *,
    tracking_uri: str | None = None,
    download_dir: str | Path | None = None,
) -> ComplexityScorer:
    """A complexity scorer from ``default`` (the shipped model), ``tfidf`` (the shipped
    TF-IDF), a TF-IDF ``.json``, an artifact directory (``model.onnx`` or
    ``tfidf_lr.json`` inside) or a ``models:/NAME@ALIAS`` / ``models:/NAME/VERSION`` URI
    (``tracking_uri``: the registry, default from :class:`classifier.DataSettings`;
    ``download_dir``: where a registry model goes, default ``<data dir>/models``).
    ``None`` or ``""`` means ``default``."""
    text = str(spec or "default")
    if text == "default":
        return load_default_scorer()
    if text == "tfidf":
        return TfidfScorer.load()
    if text.startswith("models:/"):
        from classifier.registry import load_registered

        return load_artifact(load_registered(text, dst=download_dir, tracking_uri=tracking_uri))
    return load_artifact(text)
