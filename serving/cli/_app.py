"""The ``tierroute`` command line: the app and its command groups.

Each command module registers its commands here and imports its packages inside the
command, so ``tierroute route`` does not pay for FastAPI, litellm or mlflow. Every
command runs under :class:`~serving.cli._errors.CommandGroup`: a TierrouteError ends
the program with ``error: <message>`` (file:line, field or JSON path) and exit code 2,
never a bare traceback.
"""

from __future__ import annotations

import typer

from serving.cli import (
    _dataset,
    _evaluate,
    _keys,
    _label,
    _policy,
    _replay,
    _review,
    _route,
    _serve,
    _sim,
    _train,
)
from serving.cli._errors import CommandGroup

__all__ = ["app", "main"]

app = typer.Typer(
    name="tierroute",
    cls=CommandGroup,
    help="Route each LLM request to the cheapest model tier that answers it well.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for _module in (
    _policy,
    _route,
    _dataset,
    _evaluate,
    _review,
    _replay,
    _serve,
    _train,
    _sim,
    _label,
    _keys,
):
    _module.register(app)


def main() -> None:
    """Console entry point (``tierroute``)."""
    app()
