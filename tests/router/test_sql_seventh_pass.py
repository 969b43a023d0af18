"""Issue 14, seventh pass: the categories fixed for the second outsider's set 8, each with
phrasings that are in no evaluation or tuning set, and the SQL each must leave alone. The
conversation assertions use ``route`` with the shipped policy (the high-recall mode)."""

from __future__ import annotations

import pytest

from router import route

_SQL_EXCHANGE = [
    {
        "role": "user",
        "content": "top 10 products by units sold last quarter, mysql, sales(sku, qty, sold_at)",
    },
    {
        "role": "assistant",
        "content": "```sql\nSELECT sku, SUM(qty) AS units FROM sales\n"
        "WHERE sold_at >= '2024-04-01' AND sold_at < '2024-07-01'\n"
        "GROUP BY sku ORDER BY units DESC LIMIT 10;\n```",
    },
]
_SQL_SYSTEM = [
    {"role": "system", "content": "You are QueryBuddy. You write T-SQL for our SQL Server."}
]


def _fires(messages: list[dict[str, str]]) -> bool:
    return "sql-no-speculation" in route(messages).to_dict().get("rules", [])


@pytest.mark.parametrize(
    "request_text",
    [
        "great, now draw me a plotly pie chart of these ten with the labels outside",
        "thanks! separate thing: give me a regex that matches US phone numbers for my vue form",
        "ok cool. which standing desk would you recommend I buy for a small flat?",
        "got it. what's a good nickname for my golden retriever puppy?",
    ],
)
def test_a_new_task_after_an_sql_exchange_is_not_sql(request_text: str) -> None:
    assert not _fires([*_SQL_EXCHANGE, {"role": "user", "content": request_text}])


@pytest.mark.parametrize(
    "request_text",
    [
        "how long should I boil an egg for a runny yolk?",
        "can you recommend a gentle stretching routine for lower back pain",
    ],
)
def test_an_unrelated_request_under_an_sql_system_prompt_is_not_sql(request_text: str) -> None:
    assert not _fires([*_SQL_SYSTEM, {"role": "user", "content": request_text}])


@pytest.mark.parametrize(
    "request_text",
    [
        "why?",
        "and only for the EU stores",
        "make it faster please",
        "what about for each month",
        "will this run on postgres as well?",
        "now also give me a query I can feed to a bar chart, with zero for missing weeks",
        "is there a regex-free way, with LIKE in the where clause?",
        "which ones sold fewer units than the quarter before",
    ],
)
def test_sql_follow_ups_still_fire(request_text: str) -> None:
    assert _fires([*_SQL_EXCHANGE, {"role": "user", "content": request_text}])
    assert _fires([*_SQL_SYSTEM, *_SQL_EXCHANGE, {"role": "user", "content": request_text}])


def test_a_question_about_the_system_prompts_tables_still_fires() -> None:
    system = {
        "role": "system",
        "content": "You answer questions over our Postgres database. Tables: "
        "drivers(id, name, depot), deliveries(id, driver_id, delivered_at, late).",
    }
    assert _fires(
        [system, {"role": "user", "content": "which depot has the least punctual drivers"}]
    )
