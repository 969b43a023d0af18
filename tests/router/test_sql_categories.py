"""Issue 14, fifth pass: each category of conversational SQL request, with phrasings that are
in no evaluation or tuning set, and the near misses each category must leave alone."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql
from router._sql_model import Evidence, verdicts


def _both(text: str) -> tuple[bool, bool]:
    return detect_sql(text), detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "why would I get 'UNIQUE constraint failed: orders.ref' right after deleting that row",
        "Conversion failed when converting date and/or time from character string, sql server",
        "mysql: Cannot add or update a child row: a foreign key constraint fails (`shop`.`items`)",
        "db2 error SQLCODE=-803 on insert, what does it mean",
        "my worker logs 'could not serialize access due to read/write dependencies'",
        "PLS-00201: identifier must be declared when calling my package",
        "ERROR: permission denied for relation audit_log, but I'm the owner?",
        "Arithmetic overflow error converting numeric to data type numeric in my report proc",
        'ERROR: function "calc_tax" does not exist after I moved it to another schema',
        "com.mysql.cj.jdbc.exceptions.MySQLSyntaxErrorException in our batch job",
    ],
)
def test_engine_error_messages_decide(text: str) -> None:
    assert _both(text) == (True, True)


@pytest.mark.parametrize(
    "text",
    [
        "hive: how do I add a partition for yesterday to an external table",
        "how fast is duckdb at joining two 10GB parquet files",
        "timescale: drop chunks older than 90 days automatically",
        "we're on yugabyte, is select for update supported",
        "my postgre function returns null when the table is empty",
    ],
)
def test_engine_and_dialect_names(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "is an index scan always better than a seq scan",
        "our autovacuum runs every minute on one hot table, is that normal",
        "how do I stop deadlocks between two jobs that update the same rows",
        "what changes if I switch from read committed to repeatable read",
        "the planner ignores my index and estimates 1 row, stats are fresh",
        "how do I model a tree of comments in a relational database",
        "replication lag on the standby hits 10 minutes at night",
    ],
)
def test_relational_design_and_operations(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "where vs having when filtering on a count",
        "nvl vs coalesce in oracle, any difference",
        "union vs union all when the two selects can't overlap",
        "how do I write a lateral join to get the 3 newest comments per post",
        "dedupe the records in the contacts table on lower(email)",
        "why is select * frowned upon in views",
        "is my where clause sargable if I wrap the column in upper()",
        "should I wrap these three updates in a transaction with a savepoint",
        "how do I model a many to many between doctors and clinics",
    ],
)
def test_sql_vocabulary_in_prose(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "weekly signups per country from the accounts table",
        "most recent login per user, we keep them in a user_logins table",
        "total refunds per merchant per month in our db",
    ],
)
def test_high_recall_mode_counts_analytics_beside_a_table(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "total refunds per merchant per month: jan 300, feb 410, mar 380",  # no database
        "pandas: total refunds per merchant per month from the refunds table",  # a dataframe
        "in excel, weekly signups per country from the accounts table",  # a spreadsheet
        "mongodb: most recent login per user from the logins collection",  # another store
    ],
)
def test_analytics_without_a_relational_cue_or_with_a_lookalike_is_not_sql(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "two goroutines deadlock on a mutex, how do I debug it",
        "our kafka replication lag between brokers keeps growing",
        "best vacuum for a small apartment with hardwood floors",
        "explain the jordan normal form of a matrix",
        "graphql: a lateral thinking puzzle app, which schema should I use",
        "select the two best candidates from this list and join their notes into a table",
        "elasticsearch: the index scan is slow on my cluster",
    ],
)
def test_lookalike_words_outside_databases_are_not_sql(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "our project execution plan for the office move, make it a checklist",
        "airtable: count linked records per client and show the total",
    ],
)
def test_business_plans_and_airtable_are_not_sql(text: str) -> None:
    assert _both(text) == (False, False)


def test_orm_generated_select_with_an_engine_named() -> None:
    text = 'typeorm is producing "SELECT ... WHERE id IN (...)" with 9000 ids and mysql times out'
    assert detect_sql(text, recall=True)


def test_analytics_counts_only_in_the_high_recall_mode() -> None:
    ev = Evidence(frozenset({"rows"}), 0, 0, True, False, False, analytics=True)
    assert verdicts(ev) == (False, True)
    assert verdicts(ev._replace(analytics=False)) == (False, False)
