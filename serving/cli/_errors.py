"""The CLI's one error path: how a failed command ends.

Every ``tierroute`` command runs inside :meth:`CommandGroup.invoke`; a
:class:`TierrouteError` raised anywhere below it (a bad policy, an unreadable file, a
bad option value: :class:`UsageError`) is printed as ``error: <message>`` on stderr,
one line per policy problem, and ends the program with exit code 2, never with a
traceback. Exit code 1 is not an error: a command that ran and found something wrong
(``policy validate --strict`` warnings, ``drift`` outside its interval, a refused
promotion) says so and exits 1 itself.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from policies import PolicyError, TierrouteError

__all__ = ["EXIT_ERROR", "CommandGroup", "UsageError", "report_error"]

EXIT_ERROR = 2


class UsageError(TierrouteError):
    """A command line that cannot run as given (an option value the command refuses)."""


def report_error(exc: TierrouteError) -> None:
    """``error: <message>`` on stderr; a :class:`PolicyError` gets one line per problem."""
    if isinstance(exc, PolicyError) and exc.problems:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        return
    typer.echo(f"error: {exc}", err=True)


class CommandGroup(TyperGroup):
    """The ``tierroute`` group: its ``invoke`` runs every command, sub-groups included,
    so this is where each TierrouteError turns into its message and exit code 2."""

    def invoke(self, ctx: Any) -> Any:  # typer's (vendored) click Context
        try:
            return super().invoke(ctx)
        except TierrouteError as exc:
            report_error(exc)
            raise typer.Exit(EXIT_ERROR) from exc
