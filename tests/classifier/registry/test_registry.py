"""MLflow registration of a tiny ONNX artifact: embedded sqlite store and a real server."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from classifier import OnnxComplexityScorer, load_scorer
from classifier.registry import ModelRegistry, load_registered, log_training_run, set_alias
from policies import ClassifierError, RegistryError
from tests.classifier._tiny import TIERS

NAME = "tiny-complexity"
TEXTS = ["hello", "prove the theorem with an integral " * 5, "write a python function"]
METRICS = {"test.accuracy": 0.81, "routerbench.frontier.apgr": 0.62, "train.loss": 0.3}
TAGS = {"data_version": "labels-test-v1", "parity": "argmax 1.000"}


@pytest.fixture(scope="module")
def plot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plots") / "pgr_curve.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    return path


@pytest.fixture(scope="module")
def registered(mlflow_server: str, tiny_artifact: Path, plot: Path) -> str:
    """Version 1 of NAME on the server, alias ``champion``; returns its version."""
    version = log_training_run(
        tiny_artifact,
        params={"epochs": 3, "student": "2x32"},
        metrics=METRICS,
        plots=[plot],
        registered_model_name=NAME,
        tags=TAGS,
        tracking_uri=mlflow_server,
        alias="champion",
    )
    return version.version


@pytest.mark.integration
@pytest.mark.slow
def test_server_version_has_tags_alias_and_run_contents(
    mlflow_server: str, registered: str, tiny_artifact: Path
) -> None:
    registry = ModelRegistry(mlflow_server)
    version = registry.resolve(f"models:/{NAME}@champion")
    assert version.version == registered
    assert "champion" in version.aliases
    expected = OnnxComplexityScorer.load(tiny_artifact).version
    assert version.classifier_version == expected
    assert version.tags["data_version"] == "labels-test-v1"
    assert version.tags["parity"] == "argmax 1.000"
    assert version.tags["labels"] == ",".join(TIERS)
    assert version.tags["metric.test.accuracy"] == "0.81"
    assert version.tags["metric.routerbench.frontier.apgr"] == "0.62"
    assert "metric.train.loss" not in version.tags  # only the key metrics become tags
    run = registry.client().get_run(version.run_id)
    assert run.data.params["student"] == "2x32"
    assert run.data.metrics["train.loss"] == pytest.approx(0.3)
    artifacts = {a.path for a in registry.client().list_artifacts(version.run_id, "plots")}
    assert artifacts == {"plots/pgr_curve.png"}


@pytest.mark.integration
@pytest.mark.slow
def test_server_pyfunc_model_predicts_tier_probabilities(
    mlflow_server: str, registered: str, tiny_artifact: Path
) -> None:
    import pandas as pd

    model = ModelRegistry(mlflow_server).load_pyfunc(f"models:/{NAME}@champion")
    from_list = model.predict(TEXTS)
    from_frame = model.predict(pd.DataFrame({"text": TEXTS}))
    assert list(from_list.columns) == list(TIERS)
    assert np.allclose(from_list.to_numpy().sum(axis=1), 1.0)
    expected = OnnxComplexityScorer.load(tiny_artifact).score(TEXTS)
    assert np.allclose(from_list.to_numpy(), expected, atol=1e-6)
    assert np.allclose(from_frame.to_numpy(), expected, atol=1e-6)


@pytest.mark.integration
@pytest.mark.slow
def test_server_new_version_and_alias_move(
    mlflow_server: str, registered: str, tiny_artifact: Path, tmp_path: Path
) -> None:
    registry = ModelRegistry(mlflow_server)
    second = registry.log_training_run(tiny_artifact, registered_model_name=NAME)
    assert int(second.version) == int(registered) + 1
    versions = registry.versions(NAME)
    assert [v.version for v in versions][:2] == [second.version, registered]
    set_alias(NAME, "champion", second.version, tracking_uri=mlflow_server)
    assert registry.resolve(f"models:/{NAME}@champion").version == second.version
    folder = load_registered(f"models:/{NAME}@champion", dst=tmp_path, tracking_uri=mlflow_server)
    assert folder.is_relative_to(tmp_path)
    scorer = load_scorer(folder)
    assert scorer.version == second.classifier_version
    assert scorer.score(TEXTS).shape == (len(TEXTS), len(TIERS))


@pytest.mark.integration
@pytest.mark.slow
def test_server_unknown_alias_is_a_registry_error(mlflow_server: str, registered: str) -> None:
    with pytest.raises(RegistryError, match="nope"):
        ModelRegistry(mlflow_server).resolve(f"models:/{NAME}@nope")


@pytest.mark.integration
@pytest.mark.slow
def test_cli_registers_and_lists(mlflow_server: str, registered: str, tiny_artifact: Path) -> None:
    from typer.testing import CliRunner

    from serving import app

    runner = CliRunner()
    args = ["--name", "cli-model", "--tracking-uri", mlflow_server]
    result = runner.invoke(
        app,
        [
            "registry",
            "register",
            str(tiny_artifact),
            *args,
            "--alias",
            "candidate",
            "--tag",
            "data_version=cli-v1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "models:/cli-model/1 @candidate" in result.output
    listed = runner.invoke(app, ["registry", "list", *args], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "candidate" in listed.output and "cli-v1" in listed.output


@pytest.mark.slow
def test_embedded_sqlite_store_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_artifact: Path
) -> None:
    """No server: the store is sqlite under $TIERROUTE_DATA_DIR, artifacts beside it."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("TIERROUTE_DATA_DIR", str(data_dir))
    for key in ("TIERROUTE_MLFLOW_URI", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(key, raising=False)
    version = log_training_run(tiny_artifact, metrics={"test.ece": 0.04}, tags=TAGS)
    assert (version.name, version.version) == ("tierroute-complexity", "1")
    assert version.tags["metric.test.ece"] == "0.04"
    assert (data_dir / "mlflow.db").is_file()
    assert any((data_dir / "mlartifacts").rglob("model.onnx"))
    assert "MLFLOW_TRACKING_URI" not in os.environ  # no process-wide MLflow state written
    folder = load_registered("models:/tierroute-complexity/1")
    assert folder.is_relative_to(data_dir)
    original = OnnxComplexityScorer.load(tiny_artifact)
    assert np.allclose(load_scorer(folder).score(TEXTS), original.score(TEXTS))
    model = ModelRegistry().load_pyfunc("models:/tierroute-complexity/1")
    assert np.allclose(model.predict(TEXTS).to_numpy().sum(axis=1), 1.0)


def test_broken_artifact_is_refused_before_logging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERROUTE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ClassifierError, match="not a classifier artifact"):
        log_training_run(tmp_path / "empty", tracking_uri=f"sqlite:///{tmp_path / 'x.db'}")
    assert not (tmp_path / "x.db").exists()


def test_tracking_uri_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from classifier.registry._registry import resolve_tracking_uri

    monkeypatch.setenv("TIERROUTE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TIERROUTE_MLFLOW_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert resolve_tracking_uri() == f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://b:5000")
    assert resolve_tracking_uri() == "http://b:5000"
    monkeypatch.setenv("TIERROUTE_MLFLOW_URI", "http://a:5000")
    assert resolve_tracking_uri() == "http://a:5000"
    assert resolve_tracking_uri("http://c:5000") == "http://c:5000"


def test_bad_model_uri_is_a_registry_error(tmp_path: Path) -> None:
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(RegistryError, match="models:/NAME@ALIAS"):
        registry.resolve("models:/only-a-name")


@pytest.mark.parametrize(
    ("name", "tagged"),
    [
        ("test.accuracy", True),
        ("student_test_macro_f1", True),
        ("routerbench.frontier.apgr", True),
        ("parity_argmax_agreement", True),
        ("student_train_accuracy", False),
        ("routerbench.frontier.cost_at_cpt80", False),
        ("train.loss", False),
        ("wall_s", False),
    ],
)
def test_key_metrics_become_version_tags(name: str, tagged: bool) -> None:
    from classifier.registry._registry import is_key_metric

    assert is_key_metric(name) is tagged
