"""The ``tierroute`` command line (typer): one module per command group.

    tierroute route "Why is this query slow?"      # the console script: serving.cli.main

``policy``, ``route``/``demo``, ``dataset``, ``evaluate``/``registry``, ``review``,
``replay``/``calibrate``/``drift``, ``serve``, ``train``/``baseline``,
``backends``/``demo-loop``, ``label`` and ``keys``. Every command's TierrouteError
ends the program the same way: ``error: <message>`` on stderr, exit code 2
(:mod:`serving.cli._errors`).
"""

from __future__ import annotations

from serving.cli._app import app, main
from serving.cli._errors import EXIT_ERROR, UsageError

__all__ = ["EXIT_ERROR", "UsageError", "app", "main"]
