"""The shipped policy's SQL rule as the detector-pass tests assert it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from router import route


def sql_rule_fires(messages: Sequence[Mapping[str, str]]) -> bool:
    """``route`` with the shipped policy applied the ``sql-no-speculation`` rule."""
    return "sql-no-speculation" in route(list(messages)).rules
