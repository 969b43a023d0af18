"""Issue 14, thirteenth pass: the categories fixed after reading a seventh outsider's set
14 errors, each with phrasings that are in no evaluation or tuning set, and the SQL each
must leave alone. Conversation assertions use ``route`` with the shipped policy (the
high-recall mode)."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql
from tests.router.sql_rule import sql_rule_fires as _fires

_SCRIPT = "\n".join(
    [
        "import psycopg2",
        "conn = psycopg2.connect('dbname=kitchen')",
        "cur = conn.cursor()",
        'cur.execute("SELECT dish, count(*) FROM orders WHERE day = current_date GROUP BY dish")',
        "for dish, n in cur.fetchall():",
        "    print(dish, n)",
        "conn.close()",
        "# called from cron at 11:00",
        "# prints to the kitchen screen",
        "# owner: catering IT",
    ]
)


@pytest.mark.parametrize(
    "text",
    [
        _SCRIPT + "\n\nAdd a --date option with argparse and write to a CSV file instead of "
        "printing. Keep the query exactly as it is.",
        "yum update skipped mariadb-server, it says kept back. how do I upgrade only that "
        "package to the next minor?",
        "the postgres box is at 95% disk, how do I lvextend the volume and resize2fs online?",
        "can I rsync the mysql data directory to a new disk while the service is stopped?",
    ],
)
def test_server_operations_and_code_around_a_kept_query_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        _SCRIPT + "\n\nThe counts include cancelled orders. Fix the query.",
        "postgres is at 95% disk: which tables are the biggest and will VACUUM FULL help?",
    ],
)
def test_the_same_with_sql_work_stays_sql(text: str) -> None:
    assert detect_sql(text, True)


_EXCHANGE = [
    {"role": "user", "content": "SELECT id, starts_at FROM classes WHERE studio = 2 ORDER BY 2"},
    {"role": "assistant", "content": "Looks fine; index (studio, starts_at) if it is slow."},
]


@pytest.mark.parametrize(
    "request_text",
    [
        "the query isn't the problem, the container restarts every minute with exit code 137",
        "it's not a database issue, nginx returns 413 when teachers upload videos",
    ],
)
def test_saying_the_sql_is_not_the_problem_leaves_the_context(request_text: str) -> None:
    assert not _fires([*_EXCHANGE, {"role": "user", "content": request_text}])


@pytest.mark.parametrize(
    "text",
    [
        "should climbers and their belay certifications be one table or two? a cert expires",
        "separate tables for soloists and choir members, or a single table with a role column?",
    ],
)
def test_one_table_or_two_is_relational_design(text: str) -> None:
    assert detect_sql(text, True)
