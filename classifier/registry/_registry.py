"""MLflow tracking and model registry for classifier artifacts (mlflow imported lazily).

A training run logs params, metrics, plots and the artifact directory as an MLflow
pyfunc model (:class:`classifier.registry._pyfunc.TierScorerModel`, whose ``predict``
returns tier probabilities), then registers it as a new version of a registered model
with tags: ``classifier_version``, ``data_version``, ``parity``, key metrics. Everything
goes through one :class:`mlflow.MlflowClient` bound to the store: no fluent API, no
process-wide MLflow state is read or written.

Where the store is: :mod:`classifier.registry._uri` (``$TIERROUTE_MLFLOW_URI``, else
``$MLFLOW_TRACKING_URI``, else ``sqlite:///<data dir>/mlflow.db``).

:class:`ModelRegistry` is the API (version listing, tags and aliases are the pieces a
review/promotion workflow builds on); the module functions are one-call shortcuts.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier._scorer import ComplexityScorer
from classifier._settings import local_data_dir
from classifier.inference import artifact_metadata, load_artifact
from classifier.registry._uri import (
    ARTIFACT_KEY,
    DEFAULT_EXPERIMENT,
    DEFAULT_REGISTERED_MODEL,
    MODEL_NAME_IN_RUN,
    is_key_metric,
    local_sqlite_dir,
    resolve_tracking_uri,
)
from policies import ClassifierError, RegistryError

__all__ = [
    "DEFAULT_EXPERIMENT",
    "DEFAULT_REGISTERED_MODEL",
    "ModelRegistry",
    "RegisteredVersion",
    "load_registered",
    "log_training_run",
    "resolve_tracking_uri",
    "set_alias",
]


@dataclass(frozen=True)
class RegisteredVersion:
    """One registered model version, as the registry reports it."""

    name: str
    version: str
    run_id: str | None
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    source: str = ""
    description: str = ""
    created_ms: int = 0

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    @property
    def classifier_version(self) -> str:
        return self.tags.get("classifier_version", "")


def _version_of(mv: Any) -> RegisteredVersion:
    return RegisteredVersion(
        name=mv.name,
        version=str(mv.version),
        run_id=mv.run_id,
        tags=dict(mv.tags or {}),
        aliases=tuple(getattr(mv, "aliases", None) or ()),
        source=str(mv.source or ""),
        description=str(mv.description or ""),
        created_ms=int(mv.creation_timestamp or 0),
    )


def _version_tags(
    scorer: ComplexityScorer,
    metadata: Mapping[str, Any],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
) -> dict[str, str]:
    out = {
        "classifier_version": scorer.version,
        "labels": ",".join(scorer.labels),
        "data_version": str(metadata.get("data_version", "unknown")),
    }
    if "parity" in metadata:
        out["parity"] = str(metadata["parity"])
    for key, value in metrics.items():
        if is_key_metric(key) and math.isfinite(value):
            out[f"metric.{key}"] = f"{value:.4g}"
    out.update({k: str(v) for k, v in tags.items()})
    return out


class ModelRegistry:
    """An MLflow tracking store + model registry (one URI for both)."""

    def __init__(self, tracking_uri: str | None = None) -> None:
        self.tracking_uri = resolve_tracking_uri(tracking_uri)

    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def _experiment_id(self, name: str) -> str:
        client = self.client()
        found = client.get_experiment_by_name(name)
        if found is not None:
            return str(found.experiment_id)
        local = local_sqlite_dir(self.tracking_uri)
        location = (local / "mlartifacts").as_uri() if local is not None else None
        return str(client.create_experiment(name, artifact_location=location))

    def log_training_run(
        self,
        artifact_dir: str | Path,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        plots: Sequence[str | Path] = (),
        registered_model_name: str = DEFAULT_REGISTERED_MODEL,
        tags: Mapping[str, str] | None = None,
        experiment: str = DEFAULT_EXPERIMENT,
        run_name: str | None = None,
        alias: str | None = None,
    ) -> RegisteredVersion:
        """Log one run (params, metrics, plots, the artifact as a pyfunc model) and
        register the model as a new version; ``alias`` (e.g. ``candidate``) is set on it."""
        folder = Path(artifact_dir)
        scorer = load_artifact(folder)  # refuse an artifact that does not load
        metrics = {k: float(v) for k, v in (metrics or {}).items()}
        version_tags = _version_tags(scorer, artifact_metadata(folder), metrics, tags or {})
        try:
            version = self._log(
                folder,
                scorer,
                params or {},
                metrics,
                plots,
                registered_model_name,
                version_tags,
                experiment,
                run_name,
            )
        except ClassifierError:
            raise
        except Exception as exc:  # mlflow raises MlflowException and plain OS/HTTP errors
            raise RegistryError(f"{self.tracking_uri}: logging the run failed: {exc}") from exc
        if alias:
            self.set_alias(registered_model_name, alias, version.version)
            return self.get_version(registered_model_name, version.version)
        return version

    def _log(
        self,
        folder: Path,
        scorer: ComplexityScorer,
        params: Mapping[str, Any],
        metrics: Mapping[str, float],
        plots: Sequence[str | Path],
        name: str,
        version_tags: Mapping[str, str],
        experiment: str,
        run_name: str | None,
    ) -> RegisteredVersion:
        """One run through :class:`mlflow.MlflowClient` (no fluent API, no global state):
        tags, params, metrics, plots, the model card and the pyfunc model; then a version."""
        from mlflow.entities import Metric, Param

        local = local_sqlite_dir(self.tracking_uri)
        if local is not None:
            local.mkdir(parents=True, exist_ok=True)
        client = self.client()
        tags = {"classifier_version": scorer.version, **version_tags}
        run = client.create_run(self._experiment_id(experiment), tags=tags, run_name=run_name)
        run_id = run.info.run_id
        try:
            now = int(time.time() * 1000)
            client.log_batch(
                run_id,
                metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
                params=[Param(k, str(v)[:6000]) for k, v in params.items()],
            )
            for plot in plots:
                client.log_artifact(run_id, str(plot), "plots")
            if (folder / "model_card.md").is_file():
                client.log_artifact(run_id, str(folder / "model_card.md"))
            source = self._log_model(client, run_id, folder, scorer)
            if not self._call(f"find {name}", client.search_registered_models, f"name = '{name}'"):
                client.create_registered_model(name)
            mv = client.create_model_version(name, source, run_id=run_id, tags=dict(version_tags))
            client.set_tag(run_id, "registered_model_version", f"{name}/{mv.version}")
        except BaseException:
            client.set_terminated(run_id, "FAILED")
            raise
        client.set_terminated(run_id)
        description = f"{scorer.version}: tiers {', '.join(scorer.labels)}; run {run_id}"
        client.update_model_version(name, mv.version, description=description)
        return self.get_version(name, str(mv.version))

    @staticmethod
    def _log_model(client: Any, run_id: str, folder: Path, scorer: ComplexityScorer) -> str:
        """Write the pyfunc model, log it under the run; return its artifact URI."""
        from classifier.registry._pyfunc import save_pyfunc

        with tempfile.TemporaryDirectory(prefix="tierroute-pyfunc-") as tmp:
            model_dir = Path(tmp) / MODEL_NAME_IN_RUN
            save_pyfunc(folder, scorer, model_dir)
            client.log_artifacts(run_id, str(model_dir), MODEL_NAME_IN_RUN)
        return f"{client.get_run(run_id).info.artifact_uri}/{MODEL_NAME_IN_RUN}"

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # MlflowException (missing model/alias) or connection errors
            raise RegistryError(f"{self.tracking_uri}: {what}: {exc}") from exc

    def get_version(self, name: str, version: str) -> RegisteredVersion:
        mv = self._call(f"{name}/{version}", self.client().get_model_version, name, version)
        return _version_of(mv)

    def versions(self, name: str = DEFAULT_REGISTERED_MODEL) -> list[RegisteredVersion]:
        """All versions of ``name``, newest first."""
        found = self._call(f"list {name}", self.client().search_model_versions, f"name = '{name}'")
        full = [self.get_version(name, str(mv.version)) for mv in found]  # search omits aliases
        return sorted(full, key=lambda v: int(v.version), reverse=True)

    def resolve(self, uri: str) -> RegisteredVersion:
        """``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` -> that version."""
        body = uri.removeprefix("models:/")
        if body == uri or not body:
            raise RegistryError(f"{uri!r}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
        if "@" in body:
            name, alias = body.rsplit("@", 1)
            mv = self._call(uri, self.client().get_model_version_by_alias, name, alias)
            return _version_of(mv)
        name, _, version = body.rpartition("/")
        if not name or not version.isdigit():
            raise RegistryError(f"{uri!r}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
        return self.get_version(name, version)

    def set_alias(self, name: str, alias: str, version: str | int) -> None:
        self._call(
            f"alias {name}@{alias}",
            self.client().set_registered_model_alias,
            name,
            alias,
            str(version),
        )

    def set_tags(self, name: str, version: str | int, tags: Mapping[str, str]) -> None:
        client = self.client()
        for key, value in tags.items():
            self._call(
                f"tag {name}/{version}",
                client.set_model_version_tag,
                name,
                str(version),
                key,
                str(value),
            )

    def set_description(self, name: str, version: str | int, text: str) -> None:
        """The version's description (Markdown in the MLflow UI)."""
        client = self.client()
        what = f"describe {name}/{version}"
        self._call(what, client.update_model_version, name, str(version), description=text)

    def log_to_run(
        self, run_id: str, files: Sequence[str | Path], folder: str, metrics: Mapping[str, float]
    ) -> None:
        """Add artifacts (under ``folder``) and metrics to an existing run."""
        client = self.client()
        for path in files:
            self._call(
                f"log {path} to run {run_id}", client.log_artifact, run_id, str(path), folder
            )
        for key, value in metrics.items():
            self._call(f"log {key} to run {run_id}", client.log_metric, run_id, key, value)

    def model_tags(self, name: str) -> dict[str, str]:
        """Tags of the registered model itself (not of a version)."""
        found = self._call(f"get {name}", self.client().get_registered_model, name)
        return dict(found.tags or {})

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        client = self.client()
        self._call(f"tag {name}", client.set_registered_model_tag, name, key, str(value))

    def load_pyfunc(self, uri: str) -> Any:
        """The registered version's pyfunc model, loaded from a local copy (predict ->
        tier probabilities)."""
        import mlflow.pyfunc

        with tempfile.TemporaryDirectory(prefix="tierroute-pyfunc-") as tmp:
            model_dir = self._download_model(uri, Path(tmp))
            return self._call(f"load {uri}", mlflow.pyfunc.load_model, str(model_dir))

    def download(self, uri: str, dst: str | Path | None = None) -> Path:
        """Download a registered version; return its classifier artifact directory."""
        target = Path(dst) if dst is not None else local_data_dir() / "models"
        return _artifact_dir_of(self._download_model(uri, target), uri)

    def _download_model(self, uri: str, dst: Path) -> Path:
        """The version's model folder, downloaded to ``dst/<name>-v<version>``."""
        import mlflow.artifacts

        version = self.resolve(uri)
        target = dst / f"{version.name}-v{version.version}"
        target.mkdir(parents=True, exist_ok=True)
        source = self._call(
            f"locate {uri}",
            self.client().get_model_version_download_uri,
            version.name,
            version.version,
        )
        local = self._call(
            f"download {uri}",
            mlflow.artifacts.download_artifacts,
            artifact_uri=source,
            dst_path=str(target),
            tracking_uri=self.tracking_uri,
            registry_uri=self.tracking_uri,
        )
        return Path(local)


def _artifact_dir_of(model_dir: Path, uri: str) -> Path:
    """The classifier artifact directory inside a downloaded pyfunc model."""
    from mlflow.models import Model

    try:
        flavor = Model.load(str(model_dir / "MLmodel")).flavors["python_function"]
        folder = model_dir / str(flavor["artifacts"][ARTIFACT_KEY]["path"])
    except (OSError, KeyError, TypeError) as exc:
        raise RegistryError(f"{uri}: not a tierroute classifier model ({exc})") from exc
    if not folder.is_dir():
        raise RegistryError(f"{uri}: the model holds no '{ARTIFACT_KEY}' artifact directory")
    return folder


def log_training_run(
    artifact_dir: str | Path,
    *,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    plots: Sequence[str | Path] = (),
    registered_model_name: str = DEFAULT_REGISTERED_MODEL,
    tags: Mapping[str, str] | None = None,
    tracking_uri: str | None = None,
    alias: str | None = None,
) -> RegisteredVersion:
    """Log a training run and register its artifact; see :meth:`ModelRegistry.log_training_run`."""
    return ModelRegistry(tracking_uri).log_training_run(
        artifact_dir,
        params=params,
        metrics=metrics,
        plots=plots,
        registered_model_name=registered_model_name,
        tags=tags,
        alias=alias,
    )


def load_registered(
    uri: str, *, dst: str | Path | None = None, tracking_uri: str | None = None
) -> Path:
    """Download ``models:/NAME@ALIAS`` or ``models:/NAME/3``; return the artifact dir."""
    return ModelRegistry(tracking_uri).download(uri, dst)


def set_alias(
    name: str, alias: str, version: str | int, *, tracking_uri: str | None = None
) -> None:
    ModelRegistry(tracking_uri).set_alias(name, alias, version)
