"""``tierroute dataset shared``: build the default training set from the shared data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``dataset`` command group to the ``tierroute`` app."""
    dataset_app = typer.Typer(help="Build labeled training sets.", no_args_is_help=True)
    dataset_app.command("shared")(shared_command)
    dataset_app.command("outcomes")(outcomes_command)
    app.add_typer(dataset_app, name="dataset")


def shared_command(
    out: Annotated[Path, typer.Option("--out", help="output dataset directory")],
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="shared data folder (default: ../shared/data)"),
    ] = None,
    max_per_family: Annotated[
        int, typer.Option(help="cap on train/val questions per benchmark family (0: no cap)")
    ] = 2500,
    sharegpt: Annotated[
        int, typer.Option(help="ShareGPT first turns to add with the no-outcome prior")
    ] = 0,
    no_pii_scrub: Annotated[
        bool, typer.Option("--no-pii-scrub", help="keep emails, phones, cards, keys")
    ] = False,
) -> None:
    """Label the shared public data (RouterBench, small_models7, RouterArena, Arena-Hard)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from labeling.shared import SharedDataConfig, build_shared_dataset

    config = SharedDataConfig(
        max_per_family=max_per_family or None, sharegpt=sharegpt, scrub_pii=not no_pii_scrub
    )
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("starting", total=None)
        target = build_shared_dataset(
            out,
            data_dir,
            config,
            progress=lambda message: bar.update(task, description=message),
        )
    _summary(target)


def outcomes_command(
    out: Annotated[Path, typer.Option("--out", help="output dataset directory")],
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="shared data folder (default: ../shared/data)"),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="source name prefix to leave out")
    ] = None,
) -> None:
    """Every shared outcome source (RouterBench, small_models7, MMLU-Pro, LLMRouter,
    RouterArena) as soft labels: a tier counts only where cheaper models fail."""
    from classifier import shared_data_dir
    from labeling.transfer import build_outcome_dataset

    target = build_outcome_dataset(out, data_dir or shared_data_dir(), tuple(exclude or ()))
    typer.echo(f"wrote {target}")


def _summary(target: Path) -> None:
    import json

    from rich.console import Console
    from rich.table import Table

    card = json.loads((target.parent / "datacard.json").read_text(encoding="utf-8"))
    table = Table(title=f"shared-data labels {card['dataset_version']} -> {target}")
    for name in ("family", "rows", "small", "medium", "frontier", "train", "val", "test"):
        table.add_column(name, justify="left" if name == "family" else "right")
    for f in card["families"]:
        table.add_row(
            f["family"],
            f"{f['rows']:,}",
            *(f"{f[f'mean_{t}']:.2f}" for t in ("small", "medium", "frontier")),
            *(f"{f[s]:,}" for s in ("train", "val", "test")),
        )
    console = Console()
    console.print(table)
    counts = card["counts"]
    console.print(
        f"{counts['input_records']:,} prompts -> {counts['questions']:,} questions "
        f"({counts['linked_across_sources']:,} linked across sources) -> {counts['rows']:,} rows; "
        f"labels {card['labels']}; splits {card['splits']}"
    )
