"""``tierroute label``: production logs -> a labeled dataset, with a progress bar, the
judge (built only when asked for) and a summary table. The labeling itself is
:func:`labeling.run_labeling`; the rich output lives here, in the CLI.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from policies import LabelingError, load_policy

if TYPE_CHECKING:  # labeling loads in the command, not when the CLI starts
    from labeling import JudgeLike, LabelResult

__all__ = ["label_command", "make_judge", "parse_weights", "register", "run_label_command"]


def parse_weights(text: str) -> dict[str, float]:
    """``"outcome=3,length=0.5"`` -> ``{"outcome": 3.0, "length": 0.5}`` (names checked later)."""
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = (p.strip() for p in item.partition("="))
        try:
            weight = float(value)
        except ValueError:
            weight = math.nan
        if not name or math.isnan(weight):
            raise LabelingError(f"--weights: {item!r}: expected name=number")
        weights[name] = weight
    return weights


def make_judge(
    model: str, tiers: tuple[str, ...], cache_dir: Path, api_base: str | None
) -> JudgeLike:
    """Build ``labeling.Judge`` (imported only when a judge is asked for)."""
    try:
        from labeling import Judge
    except ImportError as exc:
        raise LabelingError(f"--judge {model}: the judge module is unavailable: {exc}") from exc
    judge: JudgeLike = Judge(model, tiers=tiers, cache_dir=cache_dir, api_base=api_base)
    return judge


def register(app: typer.Typer) -> None:
    """Add ``label`` to the ``tierroute`` app."""
    app.command("label")(label_command)


def label_command(  # noqa: PLR0913 - one option per documented knob
    inputs: Annotated[
        list[Path],
        typer.Argument(help="log files (JSONL, .jsonl.gz, CSV, Parquet) or directories of them"),
    ],
    out: Annotated[Path, typer.Option("--out", help="output dataset directory")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto|openai|litellm|decisions|outcomes")
    ] = "auto",
    policy: Annotated[
        Path | None, typer.Option("--policy", help="policy YAML (default: the shipped one)")
    ] = None,
    judge: Annotated[
        str | None, typer.Option("--judge", help="litellm model string of an LLM judge")
    ] = None,
    judge_api_base: Annotated[
        str | None, typer.Option("--judge-api-base", help="API base URL for the judge")
    ] = None,
    no_pii_scrub: Annotated[
        bool, typer.Option("--no-pii-scrub", help="keep emails, phones, cards, keys")
    ] = False,
    aggregate: Annotated[
        str, typer.Option("--aggregate", help="vote (weighted vote) | model (label model)")
    ] = "vote",
    weights: Annotated[
        str | None, typer.Option("--weights", help="vote weights: name=w,... e.g. length=0.5")
    ] = None,
    near_dup: Annotated[
        float | None,
        typer.Option("--near-dup", help="merge prompts with MiniLM cosine >= THRESHOLD"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="prompt worker processes (0: none)")
    ] = None,
) -> None:
    """Turn production logs into a labeled dataset (labels.parquet + data card)."""
    run_label_command(
        inputs,
        out,
        fmt=fmt,
        policy_path=policy,
        judge_model=judge,
        judge_api_base=judge_api_base,
        scrub_pii=not no_pii_scrub,
        aggregate=aggregate,
        weights=weights,
        near_dup=near_dup,
        workers=workers,
    )


def run_label_command(
    inputs: list[Path],
    out: Path,
    *,
    fmt: str,
    policy_path: Path | None,
    judge_model: str | None,
    judge_api_base: str | None,
    scrub_pii: bool,
    aggregate: str = "vote",
    weights: str | None = None,
    near_dup: float | None = None,
    workers: int | None = None,
) -> LabelResult:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from labeling import LabelConfig, run_labeling
    from policies import default_policy

    policy = load_policy(policy_path) if policy_path else default_policy()
    config = LabelConfig(
        format=fmt,
        scrub_pii=scrub_pii,
        judge_model=judge_model,
        judge_api_base=judge_api_base,
        weights=parse_weights(weights) if weights else {},
        aggregate=aggregate,
        near_dup=near_dup,
    )
    judge = None
    if judge_model:
        judge = make_judge(judge_model, policy.tier_names, out / "judge_cache", judge_api_base)
    console = Console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("reading", total=None)
        seen = {"n": 0}

        def progress(name: str, n: int) -> None:
            seen["n"] += n
            bar.update(task, description=f"reading {name}: {seen['n']:,} records")

        result = run_labeling(
            inputs, out, config, policy=policy, judge=judge, progress=progress, workers=workers
        )
    _summary(Console(), result)
    return result


def _summary(console: Any, result: LabelResult) -> None:
    from rich.table import Table

    card = result.card
    counts = card["counts"]
    table = Table(title=f"labeled dataset {card['dataset_version']} -> {result.out_dir}")
    table.add_column("what")
    table.add_column("value", justify="right")
    for key in ("input_records", "labeled_groups", "unlabeled_groups", "duplicates"):
        table.add_row(key, f"{counts[key]:,}")
    table.add_row("feedback_joined", f"{counts['feedback_joined']:,}")
    table.add_row("quarantined", f"{counts['quarantined']:,}")
    table.add_row("rejected files", str(card["rejected_files"]))
    for label, n in card["labels"].items():
        table.add_row(f"label {label}", f"{n:,}")
    for kind, n in card["pii_redactions"].items():
        table.add_row(f"pii {kind}", f"{n:,}")
    table.add_row("dedup rate", f"{card['dedup_rate']:.1%}")
    if "near_duplicates" in card:
        table.add_row("near-dup merged groups", f"{card['near_duplicates']['merged_groups']:,}")
    aggregation = card.get("aggregation", {})
    if aggregation.get("method") == "model":
        if aggregation.get("used"):
            detail = f"used, fitted on {aggregation['trained_on']} groups"
        else:
            detail = f"not used: {aggregation.get('reason')}"
        table.add_row("label model", detail)
    if "judge" in card:
        judge = card["judge"]
        table.add_row("judge", f"{judge['calls']} calls, ${judge['cost_usd']:.4f}")
    console.print(table)
    holds = "holds" if counts["holds"] else "BROKEN"
    console.print(f"{counts['equation']}: {holds}")
