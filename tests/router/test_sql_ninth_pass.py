"""Issue 14, ninth pass: the categories fixed after reading a third outsider's set 10
errors, each with phrasings that are in no evaluation or tuning set, and the SQL each must
leave alone. Conversation assertions use ``route`` with the shipped policy (the high-recall
mode)."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql
from tests.router.sql_rule import sql_rule_fires as _fires

_SQL_EXCHANGE = [
    {"role": "user", "content": "litres brewed per tank per month from brews(tank, litres, day)"},
    {
        "role": "assistant",
        "content": "```sql\nSELECT tank, date_trunc('month', day) AS m, SUM(litres)\n"
        "FROM brews GROUP BY 1, 2 ORDER BY 2;\n```",
    },
]


@pytest.mark.parametrize(
    "text",
    [
        "traduis en espagnol pour le flyer : nos horaires de visite sont dans une base MySQL",
        "bitte diesen Satz ins Französische übersetzen: Die Ausleihen liegen in PostgreSQL.",
        "resume este texto para la junta: migramos la base de datos Oracle el sábado",
        "三张幻灯片 is too long, 帮我润色这段话：我们的数据库从 MySQL 迁移到了 PostgreSQL",
        "need 3 slides for the parents' evening on why the kindergarten app moved to Postgres",
        "cold email to ferry operators about our managed MySQL hosting, 90 words",
        "a one-pager for the vets explaining what changes after the Oracle upgrade",
    ],
)
def test_text_tasks_in_other_languages_and_deliverables_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        "traduis cette requête Oracle en MySQL : SELECT * FROM visites WHERE ROWNUM <= 5",
        "übersetze die Abfrage nach PostgreSQL: SELECT TOP 3 titel FROM ausleihen",
        "need 3 slides explaining what this query does: SELECT tank, SUM(litres) FROM brews "
        "GROUP BY tank",
        "请写一个SQL查询：每个罐每月的产量，表 brews(tank, litres, day)，PostgreSQL",
    ],
)
def test_sql_named_as_the_object_stays_sql(text: str) -> None:
    assert detect_sql(text, True)


@pytest.mark.parametrize(
    "request_text",
    [
        "merci ! autre chose : une recette de crêpes sans lait ?",
        "danke! anderes Thema: welche Zimmerpflanzen vertragen wenig Licht?",
        "obrigado. mudando de assunto, como faço pão de queijo?",
        "谢谢！另一个问题：怎么给猫剪指甲？",
    ],
)
def test_leaving_sql_in_another_language_is_not_sql(request_text: str) -> None:
    assert not _fires([*_SQL_EXCHANGE, {"role": "user", "content": request_text}])


@pytest.mark.parametrize(
    "request_text",
    ["merci ! et seulement pour la cuve 3 ?", "谢谢，那只看2023年的呢？", "y por semana?"],
)
def test_foreign_sql_follow_ups_stay_sql(request_text: str) -> None:
    assert _fires([*_SQL_EXCHANGE, {"role": "user", "content": request_text}])


def test_a_proofreading_system_prompt_in_german_makes_database_words_material() -> None:
    system = {"role": "system", "content": "Du bist Lektorin. Korrigiere Tippfehler und Stil."}
    user = {"role": "user", "content": "Die Daten wurden aus der Oracle-Datenbank exportiert."}
    assert not _fires([system, user])


@pytest.mark.parametrize(
    "text",
    [
        "gpg says my primary key expired, can I extend it and keep the subkeys?",
        "polars only, the team bans spark.sql here: rank riders per race by finish time",
        "flyway or liquibase for a kotlin app with 25 sql migrations, which one",
        "docker compose: api can't reach postgres at localhost:5432, both services in one file",
    ],
)
def test_look_alikes_outside_sql_work_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        'postgres: ERROR: duplicate key value violates unique constraint "loans_pkey"',
        "what primary key should the riders table have in mysql, id or (race_id, bib)?",
    ],
)
def test_sql_next_to_those_words_stays_sql(text: str) -> None:
    assert detect_sql(text, True)
