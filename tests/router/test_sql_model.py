"""The SQL detector's grey-zone scorer (router/_sql_model.py, router/sql_scorer.json)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from policies import ClassifierError
from router import _sql, _sql_model
from router._sql import detect_sql
from router._sql_model import Evidence, Scorer, combine, load_scorer, parse_scorer, rule_verdicts


@pytest.fixture
def fresh_verdicts() -> Iterator[None]:
    _sql._verdicts.cache_clear()  # verdicts are cached per text: drop the shipped scorer's
    yield
    _sql._verdicts.cache_clear()


def _evidence(text: str) -> Evidence:
    ev = _sql._evidence(text)
    assert isinstance(ev, Evidence), f"{text!r} is decided by the rules alone"
    return ev


def test_shipped_scorer_loads_with_ordered_thresholds() -> None:
    scorer = load_scorer()
    assert 0.0 <= scorer.recall_threshold <= scorer.default_threshold <= 1.0
    assert any(k.startswith("w:") for k in scorer.weights)
    assert any(k.startswith("r:") for k in scorer.weights)


@pytest.mark.parametrize(
    "text",
    [
        "is mysql ok for a few user records?",  # an engine named, no request verb
        "my insert into the audit table is slow",  # "insert" in prose, no statement
    ],
)
def test_scorer_finds_sql_the_point_rules_missed(text: str) -> None:
    # in the high-recall mode: since the fifth-pass retraining (default threshold 0.375)
    # the second one reaches only the lower threshold
    assert not rule_verdicts(_evidence(text))[0]
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "what is the difference between a view and a table",
        "please make a table of the top 5 movies of 2020",
        "set up a join between two tables in airtable",
        "how to add a column to a table in word",
        "index funds vs etfs: which has lower fees",
    ],
)
def test_scorer_keeps_database_words_outside_sql_out(text: str) -> None:
    assert not detect_sql(text)


def test_vetoed_look_alikes_keep_the_rules_verdict_whatever_the_model_says() -> None:
    ev = _evidence("Skills: Python, SQL, Tableau. Please improve my resume summary.")
    assert ev.penalty >= _sql_model.VETO
    assert not combine(ev, 1.0, 0.5)
    assert not combine(ev, 1.0, 0.5, recall=True)


def test_outside_a_veto_the_probability_decides() -> None:
    ev = _evidence("is mysql ok for a few user records?")
    assert combine(ev, 0.6, 0.5) and not combine(ev, 0.4, 0.5)


def test_recall_mode_flags_what_only_its_lower_threshold_reaches(
    monkeypatch: pytest.MonkeyPatch, fresh_verdicts: None
) -> None:
    text = "how do I make the username column unique"
    p = load_scorer().probability(_evidence(text))
    shipped = load_scorer()
    between = Scorer(shipped.bias, shipped.weights, min(1.0, p + 0.01), max(0.0, p - 0.01))
    monkeypatch.setattr(_sql_model, "load_scorer", lambda: between)
    assert not detect_sql(text)
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("not json", "malformed"),
        ('{"bias": 0, "weights": {}}', "default_threshold"),
        ('{"bias": 0, "weights": [], "default_threshold": 0.5, "recall_threshold": 0.1}', "items"),
        (
            '{"bias": 0, "weights": {}, "default_threshold": 0.1, "recall_threshold": 0.5}',
            "recall_threshold <= default_threshold",
        ),
    ],
)
def test_a_malformed_scorer_file_is_a_clear_error(raw: str, says: str) -> None:
    with pytest.raises(ClassifierError, match="scorer.json") as info:
        parse_scorer(raw, "x/scorer.json")
    assert says in str(info.value)
