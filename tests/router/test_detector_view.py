"""Long prompts: the detectors' bounded view, and detect_pii against find_pii."""

from __future__ import annotations

import pytest

from router._detectors import detect_pii, detect_sql, find_pii
from router._textscan import VIEW_END, view

_FILLER = "The committee met again to discuss the annual budget and the new park. " * 120


@pytest.mark.parametrize(
    "middle",
    [
        "INSERT INTO users (id, name) VALUES (1, 'a');",
        "ERROR: SQLSTATE[23000]: Integrity constraint violation",
        "select name, total from orders where total > 10",
    ],
)
def test_sql_in_the_middle_of_a_long_prompt_is_still_found(middle: str) -> None:
    # the detector reads a long prompt's head, tail and windows at statement anchors
    assert detect_sql(_FILLER + middle + " " + _FILLER)
    assert not detect_sql(_FILLER + " " + _FILLER)


def test_view_keeps_head_tail_and_anchor_windows() -> None:
    text = "h" * 5000 + " ANCHOR here " + "t" * 5000
    seen = view(text, ("anchor",))
    assert seen.startswith("h" * VIEW_END) and seen.endswith("t" * VIEW_END)
    assert "ANCHOR here" in seen and len(seen) < 4 * VIEW_END
    assert view("short text", ("anchor",)) == "short text"


@pytest.mark.parametrize(
    "text",
    [
        "call me at +33 1 23 45 67 89 tomorrow",
        _FILLER + "card 4111 1111 1111 1111 " + _FILLER,
        _FILLER + " mail jane.doe@example.com " + _FILLER,
        "order 12345678-90 shipped",
        "version 1.2.3 (build 2024-01-15)",
        "@" * 100 + " x@y.io",
        "no numbers or addresses here",
        "(415) 555-2671",
    ],
)
def test_detect_pii_agrees_with_find_pii(text: str) -> None:
    assert detect_pii(text) == bool(find_pii(text))
