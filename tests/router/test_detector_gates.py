"""The detectors' fast paths are exact: each cheap gate only skips work that could not have
changed the answer.

A gate claims "every match of this pattern holds one of these literals": checked here on
strings drawn at random from the pattern itself (a small sampler over the regex parse
tree), so a pattern edited without its gate fails a test instead of silently losing
matches.
"""

from __future__ import annotations

import random
import re
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import pytest

from router import _sql_context_vocab as cv
from router import _sql_lookalikes as lk

_WORD = "abcdefghijklmnopqrstuvwxyz0123456789_"
_ANY = _WORD + " \t\n.,;:!?()'\"-/*=+<>[]{}@#$%&é"
_SPACE = " \t\n"
_CATEGORIES = {
    c.CATEGORY_WORD: _WORD,
    c.CATEGORY_NOT_WORD: " .,;:!?()-/'\"",
    c.CATEGORY_SPACE: _SPACE,
    c.CATEGORY_NOT_SPACE: _WORD + ".,;:!?()-/'\"",
    c.CATEGORY_DIGIT: "0123456789",
    c.CATEGORY_NOT_DIGIT: "abcxyz _.-",
}


def _char_in(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    negate = items and items[0][0] is c.NEGATE
    allowed: set[str] = set()
    for op, av in items[negate:]:
        if op is c.LITERAL:
            allowed.add(chr(av))
        elif op is c.RANGE:
            allowed.update(chr(i) for i in range(av[0], av[1] + 1))
        elif op is c.CATEGORY:
            allowed.update(_CATEGORIES[av])
    pool = sorted(set(_ANY) - allowed) if negate else sorted(allowed)
    return rng.choice(pool)


def _sample(tree: Any, rng: random.Random) -> str:
    """One string the parsed pattern may match (lookarounds and anchors are ignored: a
    caller keeps only the strings the pattern really matches)."""
    out = []
    for op, av in tree:
        if op is c.LITERAL:
            out.append(chr(av))
        elif op is c.NOT_LITERAL:
            out.append(rng.choice([ch for ch in _ANY if ord(ch) != av]))
        elif op is c.IN:
            out.append(_char_in(av, rng))
        elif op is c.ANY:
            out.append(rng.choice(_ANY))
        elif op is c.BRANCH:
            out.append(_sample(rng.choice(av[1]), rng))
        elif op is c.SUBPATTERN:
            out.append(_sample(av[-1], rng))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, high, sub = av
            n = rng.randint(low, min(high, low + 3))
            out.extend(_sample(sub, rng) for _ in range(n))
    return "".join(out)


def samples(pattern: re.Pattern[str], n: int = 3000, seed: int = 14) -> list[str]:
    """Up to ``n`` random strings that ``pattern`` matches, with a word or two around."""
    rng, tree, out = random.Random(seed), _parser.parse(pattern.pattern), []
    for _ in range(n):
        text = rng.choice(["", "ok ", "so, "]) + _sample(tree, rng) + rng.choice(["", " now", "."])
        if pattern.search(text):
            out.append(text)
    return out


def test_the_sampler_draws_matching_strings() -> None:
    drawn = samples(cv._OTHER_TOOL_TASK)
    assert len(drawn) > 500  # a sampler that draws nothing would prove nothing
    assert any("mongoose" in s for s in drawn) and any("terraform" in s for s in drawn)


def test_other_tool_gate_passes_every_match() -> None:
    # the gate reads the head the regex searches; every match must get past it
    for text in samples(cv._OTHER_TOOL_TASK):
        head = text.lower()[:400]
        if cv._OTHER_TOOL_TASK.search(head):
            assert cv.may_name_tool(head), text


def test_other_tool_gate_stops_text_without_a_tool() -> None:
    assert not cv.may_name_tool("write me a query that returns the top customers")
    assert cv.may_name_tool("write me a mongoose schema for this table")
    assert cv.may_name_tool("terraform for an rds postgres instance")


@pytest.mark.parametrize("kind", [k for k, _, _, _ in lk._LOOKALIKES])
def test_lookalike_literals_and_core_are_in_every_match(kind: str) -> None:
    pattern, groups, core = next((p, g, c) for k, p, g, c in lk._LOOKALIKES if k == kind)
    drawn = samples(pattern)
    assert len(drawn) > 300
    for text in drawn:
        match = pattern.search(text)
        assert match is not None
        assert all(any(w in match.group() for w in group) for group in groups), text
        assert core.search(match.group()), text


def test_lookalike_kind_is_what_one_alternation_names() -> None:
    """The first-starting kind, the earlier kind on a tie: one search of the kinds joined by
    ``|`` (what the detector ran before the kinds were split) names the same."""
    joined = re.compile("|".join(f"(?P<{k}>{p})" for k, p, _, _ in lk._LOOKALIKE_SOURCES))
    rng = random.Random(7)
    pieces = [s for _, p, _, _ in lk._LOOKALIKES for s in samples(p, 300)]
    pieces += ["which library should I use", "convert csv files", "in tableau a calculated field"]
    for _ in range(3000):
        head = " and ".join(rng.sample(pieces, rng.randint(1, 3)))[:800]
        m = joined.search(head)
        assert lk.lookalike_kind(head) == (m.lastgroup if m else None), head
