"""Where the registry lives and the names inside it (no mlflow import).

Tracking URI, first found: the ``tracking_uri`` argument, ``$TIERROUTE_MLFLOW_URI``
(:class:`classifier.DataSettings`), ``$MLFLOW_TRACKING_URI``, else the embedded store
``sqlite:///<data dir>/mlflow.db`` (artifacts beside it in ``<data dir>/mlartifacts``).
The same URI serves as registry URI.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from classifier._settings import data_settings

__all__ = [
    "ARTIFACT_KEY",
    "DEFAULT_EXPERIMENT",
    "DEFAULT_REGISTERED_MODEL",
    "MODEL_NAME_IN_RUN",
    "is_key_metric",
    "local_sqlite_dir",
    "resolve_tracking_uri",
]

DEFAULT_REGISTERED_MODEL = "tierroute-complexity"
DEFAULT_EXPERIMENT = "tierroute-classifier"
MODEL_NAME_IN_RUN = "classifier"  # the logged model's name inside the run
ARTIFACT_KEY = "classifier"  # the artifact directory's key inside the pyfunc model
# metrics copied into version tags: names ending in one of these (after ".", "_" or "/"),
# except training-split ones
KEY_METRICS = ("accuracy", "macro_f1", "ece", "apgr", "cpt50", "cpt80", "argmax_agreement")


def is_key_metric(name: str) -> bool:
    parts = re.split(r"[._/]", name)
    if "train" in parts or "cost" in parts:
        return False
    return any("_".join(parts[i:]) in KEY_METRICS for i in range(len(parts)))


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    settings = data_settings()
    for candidate in (tracking_uri, settings.mlflow_uri, os.environ.get("MLFLOW_TRACKING_URI")):
        if candidate:
            return candidate
    return f"sqlite:///{settings.data_dir.resolve() / 'mlflow.db'}"


def local_sqlite_dir(uri: str) -> Path | None:
    """The folder of a local ``sqlite:///`` store (its artifacts go beside it)."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri.removeprefix("sqlite:///")).parent
