"""Long prompts: the detectors' bounded view, and detect_pii against find_pii."""

from __future__ import annotations

import pytest

from router._detectors import detect_code, detect_math, detect_pii, detect_sql, find_pii
from router._textscan import PII_SPAN, SCAN_SPAN, view
from router.sql_training import sql_evidence

_FILLER = "The committee met again to discuss the annual budget and the new park. " * 120
_SQL = (
    "INSERT INTO users (id, name) VALUES (1, 'a');",
    "ERROR: SQLSTATE[23000]: Integrity constraint violation",
    "select name, total from orders where total > 10",
)


@pytest.mark.parametrize("sql", _SQL)
def test_sql_at_the_head_or_the_tail_of_a_long_prompt_is_found(sql: str) -> None:
    assert detect_sql(sql + " " + _FILLER)
    assert detect_sql(_FILLER + " " + sql)
    assert not detect_sql(_FILLER + " " + _FILLER)


@pytest.mark.parametrize("sql", _SQL)
def test_sql_beyond_the_bounded_view_is_not_read(sql: str) -> None:
    # documented (docs/detectors.md "Bounded view"): the middle of a long message is not
    # read, so a statement there alone does not make the request SQL
    assert not detect_sql(_FILLER + sql + " " + _FILLER)
    assert not detect_sql(_FILLER + sql + " " + _FILLER, recall=True)


def test_code_and_math_beyond_the_bounded_view_are_not_read() -> None:
    code = "def area(r):\n    return 3.14 * r ** 2\n"
    math = "Solve $x^2 + 3x = 10$ for x."
    assert detect_code(_FILLER + code) and detect_math(_FILLER + math)
    assert not detect_code(_FILLER + code + _FILLER)
    assert not detect_math(_FILLER + math + _FILLER)


def test_view_is_the_head_and_the_tail() -> None:
    text = "h" * 5000 + " MIDDLE here " + "t" * 5000
    seen = view(text)
    assert seen == "h" * SCAN_SPAN + "\n" + "t" * SCAN_SPAN
    assert "MIDDLE" not in seen
    short = "x" * (2 * SCAN_SPAN + 1)
    assert view(short) is short and view("short text") == "short text"


@pytest.mark.parametrize(
    "text",
    [
        "call me at +33 1 23 45 67 89 tomorrow",
        "card 4111 1111 1111 1111 " + _FILLER,
        _FILLER + " mail jane.doe@example.com",
        "order 12345678-90 shipped",
        "version 1.2.3 (build 2024-01-15)",
        "@" * 100 + " x@y.io",
        "no numbers or addresses here",
        "(415) 555-2671",
        _FILLER + " key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t",
    ],
)
def test_detect_pii_agrees_with_find_pii_in_the_view(text: str) -> None:
    assert detect_pii(text) == bool(find_pii(view(text, PII_SPAN)))


def test_email_anywhere_is_found_but_numbers_and_keys_only_in_the_view() -> None:
    assert len(_FILLER) > PII_SPAN  # the numbers below sit beyond the PII view
    assert detect_pii(_FILLER + " mail jane.doe@example.com " + _FILLER)
    assert not detect_pii(_FILLER + " card 4111 1111 1111 1111 " + _FILLER)
    assert not detect_pii(_FILLER + " call (415) 555-2671 " + _FILLER)
    assert find_pii(_FILLER + " card 4111 1111 1111 1111 " + _FILLER)  # the scrubber: all


def test_the_sql_scorer_weighs_the_words_of_the_wider_view() -> None:
    # the rules read the first and last 600 characters; the scorer's word set comes from
    # the first and last WORD_SPAN (1,800), the word sets it was trained on
    text = "Which database index should I add for this? " + "filler " * 150 + "zebra "
    text += "filler " * 500 + "Thanks."
    ev = sql_evidence(text)
    assert not isinstance(ev, bool)
    assert "zebra" not in view(text) and "zebra" in ev.words
    far = "Which database index should I add for this? " + "filler " * 400 + "zebra "
    far += "filler " * 400 + "Thanks."  # 2,800 characters from either end
    assert "zebra" not in sql_evidence(far).words


def test_pii_reads_a_wider_view_than_the_other_detectors() -> None:
    # personal data in the middle of a pasted page is still found (PII_SPAN > SCAN_SPAN),
    # where a statement at the same place is not read by the SQL detector
    middle = "x " * (SCAN_SPAN + 200)
    text = middle + " card 4111 1111 1111 1111 " + middle
    assert SCAN_SPAN < len(text) // 2 < PII_SPAN
    assert detect_pii(text)
    assert not detect_sql(middle + " INSERT INTO users (id) VALUES (1); " + middle)
