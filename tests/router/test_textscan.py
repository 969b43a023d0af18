"""The shared scanning helpers: word sets, word starts and phrase lists."""

from __future__ import annotations

import re

import pytest

from router._textscan import Needles, word_starts, words_of

_TEXTS = (
    "SELECT user_id FROM orders; -- the (big) table",
    "don’t “select” the rows—use an index, s’il vous plaît",
    "naïve straße ÉCOLE dense_rank() ½ x\u00a0y\u2003z",
    "",
    "___ a_b __init__ 1234567",
)


@pytest.mark.parametrize("text", _TEXTS)
def test_word_starts_holds_the_start_of_every_word_run(text: str) -> None:
    lower = text.lower()
    runs = {m.group()[:4] for m in re.finditer(r"\w+", lower)}
    assert runs <= word_starts(lower)


@pytest.mark.parametrize("text", _TEXTS)
def test_words_are_split_on_whitespace_and_punctuation(text: str) -> None:
    expected = re.sub(r"""[,.?!():;"'`\[\]{}_/=<>*|\\]""", " ", text.lower()).split()
    assert words_of(text) == frozenset(expected)


def test_needles_are_found_where_a_word_starts() -> None:
    phrases = Needles(("power query", "_rank", "cte"))
    text = "I use Power Query in Excel".lower()
    assert phrases.found(text, word_starts(text))
    assert not phrases.found("no such phrase here", word_starts("no such phrase here"))
    # a phrase starting with "_", or a word of under four letters, is looked for anywhere
    assert phrases.found("dense_rank()", word_starts("dense_rank()"))
    assert phrases.found("ctes", word_starts("ctes"))
    # inside a word, a phrase with a longer leading word is not looked for
    assert not phrases.found("superpower query", word_starts("superpower query"))
