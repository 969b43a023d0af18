"""One settings object for where data lives; one place for litellm's env defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from classifier import (
    DataSettings,
    litellm_env_defaults,
    local_data_dir,
    shared_data_dir,
)
from classifier.registry import resolve_tracking_uri


def test_settings_read_the_tierroute_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERROUTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TIERROUTE_SHARED_DATA", str(tmp_path / "shared"))
    monkeypatch.setenv("TIERROUTE_MLFLOW_URI", "http://mlflow:5000")
    settings = DataSettings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.decision_log_path() == tmp_path / "data" / "decisions" / "decisions.jsonl"
    assert local_data_dir() == (tmp_path / "data").resolve()
    assert shared_data_dir() == tmp_path / "shared"
    assert resolve_tracking_uri() == "http://mlflow:5000"


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIERROUTE_DATA_DIR", "")
    monkeypatch.setenv("TIERROUTE_MLFLOW_URI", "")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert DataSettings().data_dir == Path(".tierroute")
    assert resolve_tracking_uri().startswith("sqlite:///")


def test_litellm_defaults_fill_only_what_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    child = litellm_env_defaults({"LITELLM_LOCAL_MODEL_COST_MAP": "False", "PATH": "/bin"})
    assert child == {"LITELLM_LOCAL_MODEL_COST_MAP": "False", "PATH": "/bin"}
    assert litellm_env_defaults({}) == {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    monkeypatch.delenv("LITELLM_LOCAL_MODEL_COST_MAP", raising=False)
    litellm_env_defaults()
    assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
