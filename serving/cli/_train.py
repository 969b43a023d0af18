"""``tierroute train``: label dataset -> artifact.

Default (``--mode head``): the shipped INT8 student stays frozen and a feature head
(structure features + the student's logits and pooled vector -> ordinal tier
probabilities) is fitted on the labels: seconds to a few minutes on 2 cores.
``--quick``: the head without the pooled vector, one regularisation strength.
``--mode distill``: fine-tune the MiniLM teacher and distil a new student (30+ min).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from serving.cli._errors import UsageError

if TYPE_CHECKING:
    from classifier.training import TrainingReport

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``train`` and ``baseline`` to the ``tierroute`` app."""
    app.command("train")(train_command)
    app.command("baseline")(baseline_command)


def baseline_command(
    out: Annotated[
        Path | None, typer.Option(help="artifact path (default: the shipped one)")
    ] = None,
) -> None:
    """Retrain the TF-IDF + logistic-regression baseline scorer on RouterBench."""
    import json

    from classifier import DEFAULT_TFIDF_PATH
    from classifier.training import train_routerbench_baseline

    target = out or DEFAULT_TFIDF_PATH
    metrics = train_routerbench_baseline(target)
    typer.echo(f"wrote {target}: {json.dumps(metrics)}")


def train_command(  # noqa: PLR0913 - one option per documented knob
    data: Annotated[Path, typer.Option("--data", help="labels.parquet (or its folder)")],
    out: Annotated[Path, typer.Option("--out", help="artifact directory to write")],
    seed: Annotated[int, typer.Option(help="random seed (same seed, same model)")] = 0,
    teacher_epochs: Annotated[float, typer.Option(help="teacher epochs (max)")] = 2.0,
    student_epochs: Annotated[float, typer.Option(help="student epochs (max)")] = 8.0,
    max_examples: Annotated[
        int | None, typer.Option(help="use at most this many training rows")
    ] = None,
    teacher_max_examples: Annotated[
        int | None, typer.Option(help="train the teacher on at most this many rows")
    ] = None,
    teacher_layers: Annotated[
        int, typer.Option(help="top MiniLM layers the teacher trains (6 = all)")
    ] = 6,
    unlabeled: Annotated[
        int, typer.Option(help="unlabeled real prompts added to distillation (0 = none)")
    ] = 3000,
    teacher_out: Annotated[
        Path | None,
        typer.Option(help="also write the teacher (FP32 ONNX) here, for bench/ and evaluate"),
    ] = None,
    threads: Annotated[int, typer.Option(help="torch threads (at most 2)")] = 2,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bars")] = False,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="head: fit the feature head over the frozen shipped student (default, "
            "minutes); distill: fine-tune the MiniLM teacher and distil a student (30+ min)",
        ),
    ] = "head",
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="head mode: structure features + student logits only, one C (under 2 min)",
        ),
    ] = False,
    base: Annotated[
        Path | None,
        typer.Option(
            "--base", help="head mode: the student artifact to build on (default: shipped)"
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="the policy the labels were made with: its tiers are the classes "
            "(default: the tier order stored in labels.parquet)",
        ),
    ] = None,
) -> None:
    """Train a classifier artifact from a label dataset (see --mode)."""
    if mode not in ("head", "distill"):
        raise UsageError(f"--mode {mode!r}: expected 'head' or 'distill'")
    tiers = _policy_tiers(policy)
    if mode == "head":
        _train_head(data, out, base, quick, max_examples, tiers)
        return
    from classifier.training import ComplexityTrainer, resolve_label_tiers, train_label_dataset

    tiers = resolve_label_tiers(data, tiers)
    trainer = ComplexityTrainer(
        tiers,
        seed=seed,
        teacher_epochs=teacher_epochs,
        student_epochs=student_epochs,
        teacher_max_examples=teacher_max_examples,
        teacher_trainable_layers=teacher_layers,
        num_threads=min(2, threads),
        progress=not quiet,
    )
    report = train_label_dataset(
        data,
        out,
        trainer=trainer,
        max_examples=max_examples,
        unlabeled_max=unlabeled,
        teacher_out=teacher_out,
    )
    _print_summary(report)


def _policy_tiers(policy: Path | None) -> tuple[str, ...] | None:
    if policy is None:
        return None
    from policies import load_policy

    return tuple(load_policy(policy).tier_names)


def _train_head(
    data: Path,
    out: Path,
    base: Path | None,
    quick: bool,
    max_examples: int | None,
    tiers: tuple[str, ...] | None,
) -> None:
    from classifier.training import C_GRID, HEAD_BLOCKS, QUICK_BLOCKS, QUICK_C, train_head

    report = train_head(
        data,
        out,
        base=base,
        blocks=QUICK_BLOCKS if quick else HEAD_BLOCKS,
        c_grid=QUICK_C if quick else C_GRID,
        max_examples=max_examples,
        tiers=tiers,
    )
    losses = ", ".join(f"C={c:g}: {v:.4f}" for c, v in report.val_loss.items())
    typer.echo(
        f"{report.out_dir}  {report.version}\nhead over {'+'.join(report.blocks)}, C={report.c:g} "
        f"(val soft cross-entropy {losses or 'n/a: no val split'}); rows {report.n}; "
        f"wall time {report.wall_s:.0f} s"
    )


def _print_summary(report: TrainingReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{report.out_dir}  {report.version}")
    for column in ("model", "split", "n", "accuracy", "macro-F1", "ECE"):
        table.add_column(column, justify="left" if column in ("model", "split") else "right")
    for model, splits in report.scores.items():
        for split, s in splits.items():
            table.add_row(
                model, split, str(s.n), f"{s.accuracy:.4f}", f"{s.macro_f1:.4f}", f"{s.ece:.4f}"
            )
    console = Console()
    console.print(table)
    console.print(f"{report.parity}")
    console.print(
        f"temperature {report.temperature:.3f}; wall time {report.wall_s:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in report.timings.items())}); "
        f"{sum(sum(c.values()) for c in report.counts.values())} labeled rows, "
        f"{report.n_unlabeled} unlabeled prompts"
    )
