"""Where tierroute keeps and finds data: one settings object, ``TIERROUTE_`` environment.

    TIERROUTE_DATA_DIR=/var/lib/tierroute TIERROUTE_SHARED_DATA=/data tierroute evaluate

Every field can be set as ``TIERROUTE_<FIELD>``; an empty variable counts as unset. The
object is read fresh on each call of :func:`data_settings` (no import-time environment
read), so a changed environment is seen.
``serving.Settings`` builds on it (the service adds its own fields).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "LITELLM_ENV_DEFAULTS",
    "DataSettings",
    "data_settings",
    "litellm_env_defaults",
    "local_data_dir",
    "shared_data_dir",
]

# litellm reads these when it is imported: never fetch the remote model-cost map.
LITELLM_ENV_DEFAULTS = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}

# ``../shared/data`` beside the repository root (a source checkout).
_SHARED_BESIDE_REPO = Path(__file__).resolve().parents[1].parent / "shared" / "data"


class DataSettings(BaseSettings):
    """Data directory, MLflow URI, shared public data and decision log."""

    model_config = SettingsConfigDict(
        env_prefix="TIERROUTE_", frozen=True, extra="ignore", env_ignore_empty=True
    )

    data_dir: Path = Field(
        default=Path(".tierroute"),
        description="local data (decision log, registry store, caches); git-ignored",
    )
    mlflow_uri: str | None = Field(
        default=None,
        description="MLflow tracking + registry URI (default $MLFLOW_TRACKING_URI, else "
        "sqlite:///<data_dir>/mlflow.db)",
    )
    shared_data: Path = Field(
        default=_SHARED_BESIDE_REPO, description="the shared public data sets (read only)"
    )
    decision_log: Path | None = Field(
        default=None,
        description="JSON-lines decision log (default: <data_dir>/decisions/decisions.jsonl)",
    )

    def decision_log_path(self) -> Path:
        """The decision log, or its default under the data directory."""
        return self.decision_log or self.data_dir / "decisions" / "decisions.jsonl"


def data_settings() -> DataSettings:
    """The settings as the environment says now."""
    return DataSettings()


def local_data_dir() -> Path:
    """``$TIERROUTE_DATA_DIR`` or ``./.tierroute``: local store, caches (gitignored)."""
    return data_settings().data_dir.resolve()


def shared_data_dir() -> Path:
    """``$TIERROUTE_SHARED_DATA`` or ``../shared/data`` beside the repository root."""
    return data_settings().shared_data


def litellm_env_defaults(env: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Set litellm's environment defaults where unset, in ``env`` (a child process's
    environment) or, by default, this process's; return it. Call it before litellm is
    imported: the one place these defaults are set."""
    target: MutableMapping[str, str] = os.environ if env is None else env
    for key, value in LITELLM_ENV_DEFAULTS.items():
        target.setdefault(key, value)
    return target
