"""Issue 14, tenth pass: the categories fixed after reading a fourth outsider's set 11
errors, each with phrasings that are in no evaluation or tuning set, and the SQL each must
leave alone. Conversation assertions use ``route`` with the shipped policy (the high-recall
mode)."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql
from tests.router.sql_rule import sql_rule_fires as _fires

_DBA_SYSTEM = {"role": "system", "content": "You are a PostgreSQL expert for the lounge IT team."}


@pytest.mark.parametrize(
    "text",
    [
        "mi serve la query per i biglietti venduti per spettacolo, tabella biglietti(id, "
        "spettacolo_id, prezzo)",
        "her kurye icin teslimat sayisini veren sorgu: teslimatlar(id, kurye_id, tarih)",
        "회원 테이블 members(id, joined_at)에서 월별 신규 가입자 수 쿼리 좀 알려줘",
        "أريد استعلاماً لعدد الحجوزات لكل عرض من جدول bookings(id, show_id)",
        "запрос: средняя цена билета по каждому залу из таблицы tickets(id, hall_id, price)",
        "van de tabel ritten(id, koerier_id, afstand) wil ik de totale afstand per koerier",
    ],
)
def test_sql_asked_in_other_languages_with_a_table_is_sql(text: str) -> None:
    assert detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        "masa tenisi masasi alirken nelere dikkat etmeliyim?",
        "составь таблицу: плюсы и минусы трёх тарифов мобильной связи",
        "이번 달 운동 계획을 표로 만들어 줘: 월 수 금 달리기",
    ],
)
def test_everyday_foreign_table_words_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        "design tables for a tattoo studio: artists, clients, appointments, deposits",
        "what tables would you create for a courier firm's parcels, drivers and routes?",
    ],
)
def test_relational_design_in_prose_is_sql(text: str) -> None:
    assert detect_sql(text, True)


_DDL = (
    "CREATE TABLE flight (\n  flight_id INT PRIMARY KEY,\n  gate TEXT,\n  departs_at TIMESTAMP\n);"
)


@pytest.mark.parametrize(
    "text",
    [
        "lounge app. give me Swift structs matching this table, optionals for nullable\n\n" + _DDL,
        "for the frontend: write TypeScript interfaces for this\n\n" + _DDL,
    ],
)
def test_another_languages_types_of_a_pasted_table_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


def test_a_query_of_a_pasted_table_stays_sql() -> None:
    assert detect_sql("write the query for flights leaving in the next hour\n\n" + _DDL, True)


@pytest.mark.parametrize(
    "request_text",
    [
        "suggest a name for our fantasy football league and a fun logo idea",
        pytest.param(
            "how do I tell my landlord the heating is broken and ask for a repair date?",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known limit: 'broken' and 'date' are data-work words that tie a "
                "request to the system prompt's SQL work",
            ),
        ),
    ],
)
def test_an_unrelated_request_under_an_sql_system_prompt_is_not_sql(request_text: str) -> None:
    assert not _fires([_DBA_SYSTEM, {"role": "user", "content": request_text}])


@pytest.mark.parametrize(
    "request_text",
    [
        "why does the server get slow every night around 2am?",
        "and how do I see the biggest tables?",
    ],
)
def test_a_database_question_under_an_sql_system_prompt_stays_sql(request_text: str) -> None:
    assert _fires([_DBA_SYSTEM, {"role": "user", "content": request_text}])


@pytest.mark.parametrize(
    "text",
    [
        "RDS MySQL vs Cloud SQL for MySQL: monthly price for 2 vCPU and 200 GB, which is cheaper",
        "kubernetes: the mysql statefulset pod is Pending, the PVC never binds",
    ],
)
def test_database_product_prices_and_kubernetes_ops_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        "bigquery: which is cheaper, partitioning the events table by day or clustering it?",
        "mysql on kubernetes: this query became slow after the pod restart, EXPLAIN attached",
    ],
)
def test_sql_work_next_to_prices_or_kubernetes_stays_sql(text: str) -> None:
    assert detect_sql(text, True)
