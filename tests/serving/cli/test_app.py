"""The ``tierroute`` app: every command group is registered, and starting the CLI loads
none of the heavy packages a command imports only when it runs."""

from __future__ import annotations

import os
import subprocess
import sys

import typer

from serving import app

HEAVY = ("fastapi", "litellm", "mlflow", "torch", "polars", "labeling", "classifier")


def test_every_command_group_is_registered() -> None:
    command = typer.main.get_command(app)
    names = set(command.commands)  # type: ignore[attr-defined]  # a click Group
    assert names >= {
        "policy", "route", "demo", "dataset", "evaluate", "registry", "review", "promote",
        "rollback", "replay", "calibrate", "drift", "serve", "train", "baseline", "backends",
        "demo-loop", "label", "keys",
    }  # fmt: skip


def test_the_cli_starts_without_the_heavy_packages() -> None:
    code = (
        "import sys, typer, serving; typer.main.get_command(serving.app);"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    assert out.stdout.strip() == "[]"
