"""Issue 14, fourteenth pass: the categories fixed after reading an eighth outsider's set 15
errors, each with phrasings that are in no evaluation or tuning set, and the SQL each must
leave alone. Conversation assertions use ``route`` with the shipped policy (the high-recall
mode)."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql
from tests.router.sql_rule import sql_rule_fires as _fires


@pytest.mark.parametrize(
    "text",
    [
        "Warum zählt mein GROUP BY die Zeilen der Tabelle kurse doppelt?",
        "dans la table inscriptions il y a des doublons, comment garder une seule ligne ?",
        "我们数据库里有 visits 和 animals 两张表，怎么查每种动物上个月的就诊次数？",
        "what rows does π_name(σ_city='Bern'(Huts) ⋈ Wardens) give?",
    ],
)
def test_sql_without_an_engine_name_is_sql(text: str) -> None:
    assert detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        "welche Tabelle im Fahrplan zeigt die Abfahrten nach Chur?",
        "σ of the sample is 2.3, what's the 95% interval for the mean?",
        "how do I make an index of names at the end of my LaTeX book?",
        "Scrivi un annuncio di lavoro per un DBA PostgreSQL part-time per il dojo",
        "pyspark only, no rewriting it in SQL: how do I salt the join key for skew?",
    ],
)
def test_look_alikes_in_other_languages_and_fields_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


_PANDAS = [
    {"role": "user", "content": "df.groupby('hut')['guests'].sum() gives guests per hut, right?"},
    {"role": "assistant", "content": "Yes, that sums guests per hut."},
]


def test_moving_the_same_work_to_an_sql_engine_is_sql() -> None:
    text = "the bookings are in bigquery though, can you do the same thing there?"
    assert _fires([*_PANDAS, {"role": "user", "content": text}])


def test_staying_in_the_dataframe_is_not_sql() -> None:
    text = "and how do I sort that by guests, largest first?"
    assert not _fires([*_PANDAS, {"role": "user", "content": text}])
