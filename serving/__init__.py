"""The tierroute service layer: the ``tierroute`` CLI (HTTP service to come)."""

from __future__ import annotations

from serving._cli import app, main

__all__ = ["app", "main"]
