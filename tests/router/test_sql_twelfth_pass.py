"""Issue 14, twelfth pass: the categories fixed after reading a sixth outsider's set 13
errors, each with phrasings that are in no evaluation or tuning set, and the SQL each must
leave alone. Conversation assertions use ``route`` with the shipped policy (the high-recall
mode)."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql
from tests.router.sql_rule import sql_rule_fires as _fires

_EXCHANGE = [
    {
        "role": "user",
        "content": '```python\ndef overdue(conn):\n    return conn.execute("SELECT id FROM '
        "loans WHERE due < date('now') AND returned IS NULL\").fetchall()\n```\nis this right?",
    },
    {"role": "assistant", "content": "Yes, it returns the loans that are past due and not back."},
]


@pytest.mark.parametrize(
    "request_text",
    [
        "cool, add a docstring and type hints to it",
        "write unit tests for it with a stub connection",
        "now the SQLAlchemy 2.0 declarative models for loans, please",
    ],
)
def test_code_chores_after_an_sql_exchange_are_not_sql(request_text: str) -> None:
    assert not _fires([*_EXCHANGE, {"role": "user", "content": request_text}])


@pytest.mark.parametrize(
    "request_text",
    ["add the member's name to it", "add an index for this too", "and only loans over 30 days"],
)
def test_sql_follow_ups_stay_sql(request_text: str) -> None:
    assert _fires([*_EXCHANGE, {"role": "user", "content": request_text}])


_DDL = "CREATE TABLE lessons (\n  id INT PRIMARY KEY,\n  teacher_id INT,\n  starts_at DATETIME\n);"


@pytest.mark.parametrize(
    "text",
    [
        "Write a Rails 7 / ActiveRecord migration-free model and a factory for this table\n\n"
        + _DDL,
        "Create a Spring Boot 3 / JPA entity for this table\n\n" + _DDL,
        "write a short Teams announcement for the teachers about tonight's database move, "
        "based on this:\n\nCHG-88: move lessons db to the new server, 20:00-21:00\n" + _DDL,
    ],
)
def test_other_code_and_texts_from_a_ddl_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


def test_a_query_for_the_same_table_stays_sql() -> None:
    assert detect_sql("Write the query for tomorrow's lessons per teacher\n\n" + _DDL, True)


@pytest.mark.parametrize(
    "text",
    [
        'ERROR: column "starts_at" is of type timestamp but expression is of type integer',
        "my insert fails: is of type boolean but expression is of type text, how do I cast?",
    ],
)
def test_postgres_type_mismatch_errors_are_sql(text: str) -> None:
    assert detect_sql(text, True)


_PROMPT_ENGINEER = {"role": "system", "content": "You are a prompt engineer for our chatbots."}


def test_a_quoted_prompt_under_a_prompt_engineer_is_material() -> None:
    text = (
        "tighten this prompt: 'You answer questions about the hockey club database "
        "(tables players, games). Explain each query you write.'"
    )
    assert not _fires([_PROMPT_ENGINEER, {"role": "user", "content": text}])


def test_asking_the_prompt_engineer_for_sql_stays_sql() -> None:
    text = "which SQL would the bot write for 'top scorers this season' on goals(player_id)?"
    assert _fires([_PROMPT_ENGINEER, {"role": "user", "content": text}])
