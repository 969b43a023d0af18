"""Issue 14, seventh pass: the categories fixed for the second outsider's set 8, each with
phrasings that are in no evaluation or tuning set, and the SQL each must leave alone. The
conversation assertions use ``route`` with the shipped policy (the high-recall mode)."""

from __future__ import annotations

import pytest

from router import detect_turn, normalize_prompt
from router._detectors import detect_sql
from tests.router.sql_rule import sql_rule_fires as _fires

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


def _both(text: str) -> tuple[bool, bool]:
    return detect_sql(text), detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "pyspark question: lag() over Window.partitionBy('store').orderBy('week') gives nulls at "
        "the edges, how do I fill them with the DataFrame API? don't want to use spark.sql",
        "cassandra: SELECT * FROM orders_by_user WHERE status = 'open'; errors with 'use ALLOW "
        "FILTERING', how do I remodel the table instead?",
        "write a prisma schema for these tables:\nCREATE TABLE teams (id INT PRIMARY KEY, name "
        "TEXT);\nCREATE TABLE players (id INT PRIMARY KEY, team_id INT REFERENCES teams(id));",
        "pulumi program in typescript for an azure sql database with geo-replication",
    ],
)
def test_other_tools_code_and_stores_are_not_sql(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "translate this prisma schema into postgres CREATE TABLE statements:\nmodel Team { id Int "
        "@id  name String }",
        "our terraform built the RDS mysql; write the SQL to create an app user with GRANT on the "
        "shop schema",
    ],
)
def test_sql_out_of_another_tool_stays_sql(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "Wie finde ich in PostgreSQL alle Zeilen einer Tabelle, die in einer anderen fehlen?",
        "Comment écrire une requête MySQL qui compte les lignes par mois dans la table ventes ?",
        "¿Por qué mi consulta en SQL Server ignora el índice de la columna fecha?",
        "Como apagar linhas duplicadas de uma tabela no Oracle sem chave primária?",
        "i have table of players and goals, want rank players by goals in every team, same goals "
        "same rank and the next rank not skipped",
    ],
)
def test_sql_in_other_languages_and_tied_ranks_per_group_fire(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "Welche Tabelle im Anhang zeigt die Zeilen mit den Preisen für 2023? Bitte kurz.",
        "Quelle est la meilleure table de ping-pong pour un garage ?",
        "¿Cuántas filas de asientos tiene el teatro municipal?",
    ],
)
def test_everyday_foreign_words_for_table_and_rows_are_not_sql(text: str) -> None:
    assert _both(text) == (False, False)


def test_a_follow_up_in_another_language_keeps_its_sql_context() -> None:
    # the "nothing ties it" test reads English ties only; a Spanish or German follow-up
    # to a query is not judged self-contained
    for follow_up in (
        "y ahora solo los que gastaron más de cien euros en abril?",
        "und jetzt bitte nur die Kunden aus Berlin, sortiert nach Umsatz",
    ):
        prompt = normalize_prompt(
            [
                {"role": "user", "content": "total spent per customer from orders"},
                {
                    "role": "assistant",
                    "content": "SELECT customer_id, SUM(total) FROM orders GROUP BY 1;",
                },
                {"role": "user", "content": follow_up},
            ],
            max_chars=10_000,
        )
        assert detect_turn("sql", prompt, recall=True) is not None, follow_up


def test_a_foreign_request_with_a_table_in_relation_notation_is_sql() -> None:
    # the relation notation is read before the foreign words are translated
    assert detect_sql(
        "preciso de uma consulta com os pedidos de cada vendedor, tabelas pedidos(id, "
        "vendedor_id, valor) e vendedores(id, nome)",
        recall=True,
    )
