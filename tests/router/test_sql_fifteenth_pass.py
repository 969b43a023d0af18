"""Issue 14, fifteenth pass: the categories fixed after reading a ninth outsider's set 16
errors, each with phrasings that are in no evaluation or tuning set, and the SQL each must
leave alone."""

from __future__ import annotations

import pytest

from router._detectors import detect_sql


@pytest.mark.parametrize(
    "text",
    [
        "two tellers run select ... for update on the same account row, the second blocks. why?",
        "for the puppet theatre: shows(id, opened_on), casts(show_id, puppeteer_id). puppeteers "
        "who played in every show this season?",
        "Приведите к третьей нормальной форме: Ремонт(номер, мастер, телефон_мастера, модель)",
    ],
)
def test_row_locks_two_small_tables_and_russian_normal_forms_are_sql(text: str) -> None:
    assert detect_sql(text, True)


@pytest.mark.parametrize(
    "text",
    [
        "logrotate for the postgres csv logs, daily, keep 30 days",
        "Give me the action items from these notes: Ana will fix the SQL report, Tom orders "
        "disks, Lea books the room. Nothing else.",
        "Что такое нормальная форма Жордана и как её найти для матрицы 3x3?",
        "for update notifications on my phone, which settings should I change?",
    ],
)
def test_their_look_alikes_are_not_sql(text: str) -> None:
    assert not detect_sql(text, True)
