"""Issue 14, eighth pass: the categories fixed after reading the second outsider's set 9
false alarms, each with phrasings that are in no evaluation or tuning set, and the SQL each
must leave alone. Conversation assertions use ``route`` with the shipped policy (the
high-recall mode)."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql
from tests.router.sql_rule import sql_rule_fires as _fires

_SQL_EXCHANGE = [
    {
        "role": "user",
        "content": "weekly print jobs per customer from jobs(customer_id, pages, done_at), pg",
    },
    {
        "role": "assistant",
        "content": "```sql\nSELECT customer_id, date_trunc('week', done_at) AS wk, SUM(pages)\n"
        "FROM jobs GROUP BY 1, 2 ORDER BY 2;\n```",
    },
]
_SQL_SYSTEM = [
    {
        "role": "system",
        "content": "You are LabQuery, you answer SQL questions about our LIMS database.",
    }
]


@pytest.mark.parametrize(
    "text",
    [
        "build me a 10 week study plan for the analytics engineer track: SQL, dbt, Looker, git",
        "write a short bio for our site: Priya, data architect, 12 years of SQL Server and Azure",
        "prepare a pep talk for my bootcamp cohort before the SQL module final",
        "draft my linkedin headline: junior BI analyst, Power BI, T-SQL, open to work",
        "Schreib mir einen Lernpfad: PostgreSQL, Python und Statistik in 8 Wochen",
        "I have 3 behavioral questions to prep for a data analyst job that lists SQL, any advice?",
    ],
)
def test_career_and_learning_texts_that_name_sql_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        "study plan question: why does COUNT(col) skip NULLs when COUNT(*) does not?",
        "for my bio I need one example query: total pages per customer from jobs, postgres",
        "SELECT time_bucket('5 minutes', ts), avg(ph) FROM tank_readings GROUP BY 1 "
        "is empty for tank 3 on timescaledb",
    ],
)
def test_sql_next_to_those_words_stays_sql(text: str) -> None:
    assert detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        'influxdb 2: SELECT last("level") FROM "silo" WHERE time > now() - 12h '
        'GROUP BY "site" drops site B, why',
        "promql: avg by (instance) (node_load5) is flat in grafana but spiky in the console",
    ],
)
def test_time_series_query_languages_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


@pytest.mark.parametrize(
    "request_text",
    [
        "numbers look fine. give me talking points for the finance sync",
        "turn those into a slide deck outline for the board, 4 slides max",
        "write a follow-up email to the customer with the worst week, apologising",
        "how do I run that python report from crontab every monday 7am?",
        "next the react form component for adding a customer, name and email required",
    ],
)
def test_a_non_sql_deliverable_after_an_sql_exchange_is_not_sql(request_text: str) -> None:
    assert not _fires([*_SQL_EXCHANGE, {"role": "user", "content": request_text}])


@pytest.mark.parametrize(
    "request_text",
    [
        "now schedule it with pg_cron every monday at 7 and write the rows to weekly_pages",
        "set up a cron job that runs this query and tell me how to index done_at for it",
        "turn that into a materialized view",
        "give me the talking points query: top 3 customers by pages this month",
    ],
)
def test_sql_follow_ups_stay_sql(request_text: str) -> None:
    assert _fires([*_SQL_EXCHANGE, {"role": "user", "content": request_text}])


@pytest.mark.parametrize(
    "request_text",
    [
        "proofread this note to the lab manager: the freezer log is late again, sorry",
        "rephrase my away message so it's friendlier: gone till 3rd, ask Tom about the db",
        "polish this thank you note to the night shift",
    ],
)
def test_editing_prose_under_an_sql_system_prompt_is_not_sql(request_text: str) -> None:
    assert not _fires([*_SQL_SYSTEM, {"role": "user", "content": request_text}])


def test_rewriting_a_query_under_an_sql_system_prompt_stays_sql() -> None:
    text = "rewrite this so it uses the index: select * from samples where year(taken_at) = 2024"
    assert _fires([*_SQL_SYSTEM, {"role": "user", "content": text}])
