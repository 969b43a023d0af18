"""The service's scorer: where ``--model`` is loaded from, and timing its calls.

:func:`load_scorer` applies the service's registry rules (an explicit registry, downloads
outside the working directory) and loads with :func:`classifier.load_scorer`, the one
loader; :class:`TimedScorer` wraps a scorer
so every classifier call shows up in the metrics (the Router the policy reloader
builds holds the wrapper, never the bare scorer).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from classifier import ComplexityScorer, data_settings
from policies import TierrouteError

if TYPE_CHECKING:
    from serving.http._metrics import Metrics

__all__ = ["TimedScorer", "load_scorer", "model_download_dir", "registry_uri"]


def registry_uri(spec: str | None, tracking_uri: str | None) -> str | None:
    """The MLflow URI a ``models:/`` spec is read from: ``--tracking-uri``, else
    ``$TIERROUTE_MLFLOW_URI`` / ``$MLFLOW_TRACKING_URI``. The service never falls back
    to creating ``./.tierroute/mlflow.db`` (an empty registry in the working directory)."""
    if not spec or not str(spec).startswith("models:/"):
        return tracking_uri
    uri = tracking_uri or data_settings().mlflow_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        raise TierrouteError(
            f"--model {spec}: give the registry with --tracking-uri URI "
            "(or $MLFLOW_TRACKING_URI / $TIERROUTE_MLFLOW_URI)"
        )
    return uri


def model_download_dir() -> Path:
    """Where registry models are downloaded: ``$TIERROUTE_DATA_DIR/models`` when set,
    else a fresh temporary directory (never the working directory)."""
    settings = data_settings()
    if "data_dir" in settings.model_fields_set:
        return settings.data_dir / "models"
    return Path(tempfile.mkdtemp(prefix="tierroute-models-"))


def load_scorer(spec: str | None, tracking_uri: str | None = None) -> ComplexityScorer:
    """The scorer for ``--model`` (see :func:`classifier.load_scorer`; none = ``default``),
    a ``models:/`` one read from :func:`registry_uri` into :func:`model_download_dir`."""
    from classifier import load_scorer as load_classifier

    if spec and spec.startswith("models:/"):
        uri = registry_uri(spec, tracking_uri)
        return load_classifier(spec, tracking_uri=uri, download_dir=model_download_dir())
    return load_classifier(spec or "default")


class TimedScorer:
    """Wraps a scorer so every classifier call shows up in the metrics."""

    def __init__(self, scorer: ComplexityScorer, metrics: Metrics) -> None:
        self.inner = scorer
        self.metrics = metrics

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def labels(self) -> tuple[str, ...]:
        return self.inner.labels

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        t0 = time.perf_counter()
        scores = self.inner.score(texts)
        self.metrics.observe_classifier(time.perf_counter() - t0, len(texts))
        return scores
