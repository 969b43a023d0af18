"""``tierroute evaluate`` and ``tierroute registry register|list`` (classifier, MLflow).

Packages are imported inside the commands so the other commands stay fast.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from serving.cli._errors import UsageError

if TYPE_CHECKING:
    from classifier.evaluation import EvaluationReport

__all__ = ["register"]

TrackingOption = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        help="MLflow tracking URI (default: $TIERROUTE_MLFLOW_URI, $MLFLOW_TRACKING_URI, "
        "else sqlite under $TIERROUTE_DATA_DIR or ./.tierroute)",
    ),
]
NameOption = Annotated[str, typer.Option("--name", help="registered model name")]


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` and the ``registry`` sub-app to the ``tierroute`` app."""
    app.command("evaluate")(evaluate_command)
    registry_app = typer.Typer(
        help="MLflow model registry: register and list classifier versions.",
        no_args_is_help=True,
    )
    registry_app.command("register")(registry_register_command)
    registry_app.command("list")(registry_list_command)
    app.add_typer(registry_app, name="registry")


def evaluate_command(
    model: Annotated[
        str,
        typer.Option(
            "--model", help="artifact DIR, 'default' (shipped), 'tfidf', or models:/NAME@ALIAS"
        ),
    ] = "default",
    data: Annotated[
        Path | None, typer.Option("--data", help="labels.parquet (its test split is scored)")
    ] = None,
    routerbench: Annotated[
        Path | None,
        typer.Option("--routerbench", help="folder holding routerbench/*_test.csv (shared data)"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="report folder (default: <data dir>/reports/<version>)"),
    ] = None,
    baselines: Annotated[
        bool, typer.Option("--baselines/--no-baselines", help="also evaluate the baselines")
    ] = True,
    only: Annotated[
        list[str] | None,
        typer.Option("--baseline", help="evaluate only these baselines (repeatable)"),
    ] = None,
    compare: Annotated[
        list[str] | None,
        typer.Option(
            "--compare", help="NAME=DIR: another artifact to score beside it, e.g. the teacher"
        ),
    ] = None,
    card: Annotated[
        bool,
        typer.Option(
            "--card/--no-card", help="add the tables to the artifact's model_card.md (a DIR)"
        ),
    ] = False,
    split: Annotated[str, typer.Option("--split", help="labels split to score")] = "test",
    prompt_view: Annotated[
        str,
        typer.Option(
            "--prompt-view", help="RouterBench text scored: 'question' (of 5-shot) or 'full'"
        ),
    ] = "question",
    tracking_uri: TrackingOption = None,
    transfer: Annotated[
        bool,
        typer.Option(
            "--transfer",
            help="leave-one-source-out over every shared outcome source: APGR, CPT(50%), C95 "
            "of the model and the baselines per held-out source (bench/routing_transfer.py)",
        ),
    ] = False,
    transfer_sources: Annotated[
        list[str] | None,
        typer.Option("--transfer-source", help="with --transfer: only these sources (prefix)"),
    ] = None,
) -> None:
    """Accuracy, macro-F1, ECE, confusion matrix; APGR/CPT on RouterBench; vs baselines."""
    from rich.console import Console

    from classifier import load_scorer, local_data_dir
    from classifier.evaluation import evaluate_model

    console = Console(stderr=True)
    scorer = load_scorer(model, tracking_uri=tracking_uri)
    if transfer:
        target = out or local_data_dir() / "reports" / scorer.version / "transfer"
        _transfer(scorer, target, tuple(transfer_sources or ()))
        return
    target = out or local_data_dir() / "reports" / scorer.version
    chosen: bool | list[str] = list(only) if only else baselines
    with console.status("evaluating") as status:
        report = evaluate_model(
            scorer,
            data,
            routerbench_dir=routerbench,
            prompt_view=prompt_view,
            split=split,
            baselines=chosen,
            compare=_compare_option(compare or []),
            out=target,
            progress=lambda message: status.update(message),
        )
    print_report(report)
    console.print(f"report: {target / 'report.md'} (+ report.json, {len(report.plots)} PNGs)")
    if card:
        if not Path(model).is_dir():
            raise UsageError(f"--card needs an artifact directory, got {model!r}")
        from classifier.evaluation import model_card_sections
        from classifier.training import write_model_card

        path = write_model_card(model, model_card_sections(report))
        console.print(f"model card: {path}")


def _transfer(scorer: Any, out: Path, sources: tuple[str, ...]) -> None:
    import numpy as np
    from rich.table import Table

    from classifier import local_data_dir, shared_data_dir
    from labeling.transfer import TransferConfig, run_transfer

    def strong(texts: Any) -> Any:
        probs = np.asarray(scorer.score(list(texts)), dtype=np.float64)
        return probs @ np.linspace(0.0, 1.0, probs.shape[1])  # the router's complexity

    config = TransferConfig(candidates=("length", "litellm", "tfidf-lr", "random"), sources=sources)
    report = run_transfer(
        shared_data_dir(), local_data_dir() / "transfer", config, fixed={scorer.version: strong}
    )
    names = list(report.results)
    table = Table(title="APGR / CPT(50%) / C95 per held-out source (leave-one-source-out)")
    table.add_column("source")
    for name in names:
        table.add_column(name, justify="right")
    for i, row in enumerate(report.results[names[0]]):
        cells = [report.results[n][i] for n in names]
        table.add_row(row.source, *(f"{c.apgr:.3f}/{c.cpt50:.2f}/{c.c95:.2f}" for c in cells))
    macro = [
        f"{report.macro(n):.3f}/{report.macro(n, 'cpt50'):.2f}/{report.macro(n, 'c95'):.2f}"
        for n in names
    ]
    table.add_row("macro mean", *macro)
    _console().print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "transfer.json").write_text(json.dumps(report.to_dict(), indent=1) + "\n")
    typer.echo(f"report: {out / 'transfer.json'}", err=True)


def _compare_option(values: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--compare {value!r}: expected NAME=DIR")
        pairs[name] = path
    return pairs


def _console() -> Any:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped: do not squeeze tables into 80 columns
        console = Console(width=140)
    return console


def print_report(report: EvaluationReport) -> None:
    from rich.table import Table

    console = _console()
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    table = Table(title=f"Classification ({report.split} split of {report.data})")
    for column in ("scorer", "accuracy", "macro-F1", "ECE", *(f"F1 {t}" for t in report.labels)):
        table.add_column(column, justify="left" if column == "scorer" else "right")
    for r in report.results:
        if r.classification is not None:
            c = r.classification
            table.add_row(
                r.name,
                *(f"{v:.3f}" for v in (c.accuracy, c.macro_f1, c.ece)),
                *(f"{m.f1:.3f}" for _, m in c.per_tier),
            )
    if table.row_count:
        console.print(table)
    if report.routing is not None:
        console.print(_routing_table(report))


def _routing_table(report: EvaluationReport) -> Any:
    from rich.table import Table

    info = report.routing
    assert info is not None
    table = Table(
        title=f"Routing: {info.dataset}, {info.n} rows, {info.strong_model} "
        f"({info.strong_quality:.3f}) vs {info.weak_model} ({info.weak_quality:.3f})",
        caption=f"random router APGR {info.random_apgr:.3f} (0.5 expected); lower CPT is better",
    )
    for column in ("router", "strong-score", "APGR", "CPT(50%)", "CPT(80%)"):
        table.add_column(
            column, justify="left" if column in ("router", "strong-score") else "right"
        )
    for r in report.results:
        for mode, s in r.routing:
            table.add_row(
                r.name,
                mode,
                f"{s.apgr:.3f}",
                f"{s.cpt50:.1%}",
                f"{s.cpt80:.1%}",
                style="bold" if r.role == "model" else None,
            )
    return table


def _parse_tags(pairs: list[str]) -> dict[str, str]:
    from policies import RegistryError

    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RegistryError(f"--tag {pair!r}: expected KEY=VALUE")
        tags[key] = value
    return tags


def _report_inputs(report_dir: Path | None) -> tuple[dict[str, float], list[Path]]:
    """Metrics and PNG plots from a ``tierroute evaluate`` output folder."""
    from policies import RegistryError

    if report_dir is None:
        return {}, []
    path = report_dir / "report.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        model = next(r for r in raw["results"] if r["role"] == "model")
    except (OSError, json.JSONDecodeError, KeyError, StopIteration) as exc:
        raise RegistryError(f"{path}: not a tierroute evaluate report: {exc}") from exc
    metrics: dict[str, float] = {}
    if model.get("classification"):
        c = model["classification"]
        metrics |= {f"test.{k}": float(c[k]) for k in ("accuracy", "macro_f1", "ece")}
    for mode, summary in (model.get("routing") or {}).items():
        metrics |= {f"routerbench.{mode}.{k}": float(v) for k, v in summary.items()}
    return metrics, sorted(report_dir.glob("*.png"))


def registry_register_command(
    artifact_dir: Annotated[Path, typer.Argument(help="classifier artifact directory")],
    name: NameOption = "tierroute-complexity",
    alias: Annotated[
        str | None, typer.Option("--alias", help="set this alias on the new version")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="version tag KEY=VALUE (repeatable)")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="a `tierroute evaluate` folder: log its metrics and PNGs"),
    ] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Log ARTIFACT_DIR as an MLflow run + pyfunc model and register a new version."""
    from classifier.registry import ModelRegistry

    metrics, plots = _report_inputs(report)
    registry = ModelRegistry(tracking_uri)
    version = registry.log_training_run(
        artifact_dir,
        params={"artifact_dir": str(artifact_dir.resolve())},
        metrics=metrics,
        plots=plots,
        registered_model_name=name,
        tags=_parse_tags(tag or []),
        alias=alias,
    )
    aliases = f" @{', @'.join(version.aliases)}" if version.aliases else ""
    typer.echo(
        f"registered {version.uri}{aliases} ({version.classifier_version}) "
        f"in {registry.tracking_uri}"
    )


def registry_list_command(
    name: NameOption = "tierroute-complexity", tracking_uri: TrackingOption = None
) -> None:
    """List the versions of a registered model: aliases, classifier version, key metrics."""
    from rich.table import Table

    from classifier.registry import ModelRegistry

    registry = ModelRegistry(tracking_uri)
    versions = registry.versions(name)
    table = Table(title=f"{name} in {registry.tracking_uri}")
    for column in (
        "version",
        "aliases",
        "classifier_version",
        "data_version",
        "metrics",
        "created",
    ):
        table.add_column(column)
    for v in versions:
        metrics = "\n".join(
            f"{k.removeprefix('metric.').removeprefix('routerbench.')} {val}"
            for k, val in sorted(v.tags.items())
            if k.startswith("metric.") and "complexity" not in k  # the primary mode only
        )
        created = datetime.fromtimestamp(v.created_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            v.version,
            ", ".join(v.aliases),
            v.classifier_version,
            v.tags.get("data_version", ""),
            metrics,
            created,
        )
    _console().print(table if versions else f"no versions of {name} in {registry.tracking_uri}")
