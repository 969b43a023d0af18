"""The ``tierroute`` command line: the app and its command groups.

Each command module registers its commands here and imports its packages inside the
command, so ``tierroute route`` does not pay for FastAPI, litellm or mlflow. Every
command runs under :class:`~serving.cli._errors.CommandGroup`: a TierrouteError ends
the program with ``error: <message>`` (file:line, field or JSON path) and exit code 2,
never a bare traceback.
"""

from __future__ import annotations

import typer

from serving.cli._dataset import register as register_dataset
from serving.cli._errors import CommandGroup
from serving.cli._evaluate import register as register_evaluate
from serving.cli._keys import register as register_keys
from serving.cli._label import register as register_label
from serving.cli._policy import register as register_policy
from serving.cli._replay import register as register_replay
from serving.cli._review import register as register_review
from serving.cli._route import register as register_route
from serving.cli._serve import register as register_serve
from serving.cli._sim import register as register_sim
from serving.cli._train import register as register_train

__all__ = ["app", "main"]

app = typer.Typer(
    name="tierroute",
    cls=CommandGroup,
    help="Route each LLM request to the cheapest model tier that answers it well.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
register_policy(app)
register_route(app)
register_dataset(app)
register_evaluate(app)
register_review(app)
register_replay(app)
register_serve(app)
register_train(app)
register_sim(app)
register_label(app)
register_keys(app)


def main() -> None:
    """Console entry point (``tierroute``)."""
    app()
