"""SQL as material for another task, and SQL problem idioms that name no SQL word."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql
from router._sql_task import task_kind

_DDL = "CREATE TABLE invoice (id int PRIMARY KEY, total numeric NOT NULL, paid boolean);"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Summarize this incident report: the orders table was locked for an hour", "text"),
        ("Proofread: we migrated the MySQL database to Aurora last week.", "text"),
        ("Translate this into French: SELECT queries were slow on Monday", "text"),
        ("Write a LinkedIn post about our team's switch to PostgreSQL", None),  # about SQL
        (f"Generate TypeScript interfaces from these tables:\n{_DDL}", "code"),
        (f"Create a Laravel controller based on this sql\n{_DDL}", "code"),
        ("Rewrite this:\nSELECT * FROM a WHERE b = 1", "rewrite"),  # object unnamed
        ("Rewrite this query so it runs faster: SELECT ...", None),  # the object is SQL
        ("Translate this T-SQL procedure to PL/pgSQL", None),
        ("hello!\nparaphrase the following paragraph about data teams", "text"),
        ("How do I find duplicate rows in a table?", None),
    ],
)
def test_task_kind_reads_the_opening_request(text: str, kind: str | None) -> None:
    assert task_kind(text.lower()) == kind


@pytest.mark.parametrize(
    "text",
    [
        f"Summarize what changed in this release note for customers:\n{_DDL}",
        f"Generate C# entity classes from the following sql:\n{_DDL}",
        "Draft an email to the DBA team thanking them: SELECT COUNT(*) FROM tickets went from "
        "40 s to 2 s after their index work.",
    ],
)
def test_sql_that_is_material_for_another_task_is_not_a_request(text: str) -> None:
    assert not detect_sql(text) and not detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "Rewrite this:\nSELECT name FROM users WHERE id IN (SELECT user_id FROM orders)",
        f"Explain this schema to me:\n{_DDL}",
        'Summarize this error for my ticket: ERROR: relation "invoices" does not exist',
    ],
)
def test_sql_still_found_when_the_task_is_about_the_sql(text: str) -> None:
    # rewriting SQL is SQL work; a database error message decides even inside a text task
    assert detect_sql(text)


@pytest.mark.parametrize(
    "text",
    [
        "classic gaps and islands: group consecutive days a sensor was online",
        "should our write-heavy app use InnoDB or MyISAM?",
        "remove duplicate records keeping the earliest created one",
        "list staff who are paid more than their manager",
    ],
)
def test_sql_idioms_without_an_sql_word_are_sql(text: str) -> None:
    assert detect_sql(text, recall=True)
