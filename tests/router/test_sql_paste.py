"""Issue 14, eleventh pass: a long paste whose SQL is material for another task
(router/_sql_paste.py), with pastes and instructions in no evaluation or tuning set, and
the pastes whose task is their SQL."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql
from router._sql_paste import paste_task

_LARAVEL = """<?php

namespace App\\Http\\Controllers;

use Illuminate\\Support\\Facades\\DB;

class LoungeController extends Controller
{
    public function visits($airport)
    {
        $rows = DB::select('SELECT lounge, count(*) AS visits FROM visits
            WHERE airport = ? AND visited_at > now() - interval 7 day
            GROUP BY lounge ORDER BY visits DESC', [$airport]);
        return response()->json($rows);
    }
}"""

_PG_LOG = "\n".join(
    [
        "2026-12-02 01:00:01 UTC [901] LOG:  duration: 5012.1 ms  statement: SELECT 1",
        '2026-12-02 01:00:09 UTC [902] ERROR:  relation "booking" does not exist',
        "2026-12-02 01:01:11 UTC [903] LOG:  checkpoint starting: time",
        "2026-12-02 01:01:15 UTC [903] LOG:  checkpoint complete: wrote 88 buffers",
        '2026-12-02 01:02:30 UTC [904] FATAL:  password authentication failed for user "etl"',
        "2026-12-02 01:03:02 UTC [905] LOG:  duration: 2210.4 ms  statement: SELECT now()",
        "2026-12-02 01:04:44 UTC [906] ERROR:  deadlock detected",
        "2026-12-02 01:05:10 UTC [907] LOG:  autovacuum launcher started",
        "2026-12-02 01:06:00 UTC [908] LOG:  duration: 1300.0 ms  statement: UPDATE seats SET x=1",
        "2026-12-02 01:07:12 UTC [909] LOG:  database system is ready to accept connections",
    ]
)

_QUERY = """SELECT b.show_id, s.title, count(*) AS sold
FROM bookings b
JOIN shows s ON s.id = b.show_id
WHERE b.paid
GROUP BY b.show_id, s.title
HAVING count(*) > 100
ORDER BY sold DESC
LIMIT 20;
-- box office, nightly
-- runs on postgres 15"""


@pytest.mark.parametrize(
    "text",
    [
        "Add Laravel request validation for the airport parameter (3 uppercase letters) "
        "and a feature test for the endpoint. Keep the SQL as it is.\n\n" + _LARAVEL,
        _LARAVEL + "\n\nWrite a Blade view that lists the lounges as cards with the visit "
        "count as a badge.",
        _PG_LOG + "\n\nWrite a bash one-liner that counts the FATAL lines per user name.",
        "Convert this controller to a Symfony controller with attributes for the route, same "
        "JSON output.\n\n" + _LARAVEL,
    ],
)
def test_a_paste_whose_instruction_is_another_task_is_not_sql(text: str) -> None:
    assert paste_task(text)
    assert not detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        _LARAVEL
        + "\n\nThe visit counts are doubled for lounges with two entrances. Fix the query.",
        _LARAVEL + "\n\nfix it please",
        _LARAVEL + "\n\nwhy is this endpoint slow with 3M visits?",
        _PG_LOG + "\n\nWhich of these statements need an index, and why does the deadlock happen?",
        "can you explain what this does? inherited it from the old box office system\n\n" + _QUERY,
        "Please write in English language.\n\n" + _QUERY + "\n\nrewrite it without HAVING",
    ],
)
def test_a_paste_whose_task_is_its_sql_stays_sql(text: str) -> None:
    assert not paste_task(text)
    assert detect_sql(text, True)


def test_short_prompts_are_left_to_the_other_rules() -> None:
    text = "Add logging to this: cur.execute('SELECT * FROM seats')"
    assert not paste_task(text)
