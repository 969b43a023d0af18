"""SQL detection over a conversation, the high-recall mode, and where the Decision says a
detector fired. Routed through the shipped policy (``route()``), as a user would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from policies import PolicyError, default_policy, default_policy_path, parse_policy
from router import Decision, route
from router._conversation import DetectorHits, detect_turn, scan_prompt
from router._prompt import normalize_prompt
from router._sql import detect_sql, leaves_sql, sql_context

Messages = list[dict[str, Any]]


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def _system(text: str) -> dict[str, str]:
    return {"role": "system", "content": text}


SCHEMA_CHAT = [
    _user("here's my schema: customers(id, name, country), orders(id, customer_id, total)"),
    _assistant("Got it. What would you like to know?"),
    _user("which country spent the most last quarter?"),
]
# The table in issue 14: every one must be non-speculative with the shipped policy.
ISSUE_TABLE: list[str | Messages] = [
    "Why is SELECT * slow on a big table?",
    [_system("You write PostgreSQL."), _user("top customers by revenue")],
    "my query with GROUP BY returns duplicates, help",
    SCHEMA_CHAT,
    "Write a query that returns the top 10 customers by revenue from the orders table",
]


@pytest.mark.parametrize("prompt", ISSUE_TABLE)
def test_issue_table_is_never_speculative_with_the_shipped_policy(prompt: str | Messages) -> None:
    decision = route(prompt)
    assert decision.speculative is False
    assert "sql-no-speculation" in decision.rules
    assert decision.cascade is False


def test_decision_names_the_turn_that_made_the_request_sql() -> None:
    assert route(SCHEMA_CHAT).detector_turns == {"sql": 0}  # the schema in the first message
    system = route([_system("You write PostgreSQL."), _user("top customers by revenue")])
    assert system.detector_turns == {"sql": 0}
    last = route([_user("hi"), _assistant("hello!"), _user("SELECT * FROM t WHERE x = 1")])
    assert last.detector_turns == {"sql": 2}
    assert last.detectors == ("sql",)


def test_non_sql_chat_stays_speculative_and_names_no_detector() -> None:
    decision = route([_system("You are a friendly cooking assistant."), _user("eggs and feta?")])
    assert decision.speculative is True
    assert decision.detectors == () and decision.detector_turns == {}


@pytest.mark.parametrize(
    "messages",
    [
        [
            _user("I'm using postgres 15 for an inventory app"),
            _assistant("Great. How can I help?"),
            _user("how do I make sure stock never goes negative when two orders come in at once"),
        ],
        [
            _user("SELECT c.name, SUM(o.total) FROM customers c JOIN orders o ON o.cid = c.id"),
            _assistant("This sums order totals per customer."),
            _user("ok now only customers from Spain and sort by the sum"),
        ],
        [_system("Act as a senior DBA for our MySQL fleet."), _user("lock waits every day at 9")],
        [
            _user("Here's the error: ERROR 1062 (23000): Duplicate entry 'x' for key 'email'"),
            _assistant("The email must be unique."),
            _user("how do I update instead when it exists?"),
        ],
        [_system("The database is PostgreSQL 15."), _user("show me revenue by month")],
        [
            _user('ERROR: duplicate key value violates unique constraint "users_pkey"'),
            _assistant("The id you insert already exists."),
            _user("but I never set that id myself"),
        ],
    ],
)
def test_follow_ups_in_an_sql_conversation_are_sql(messages: Messages) -> None:
    assert detect_turn("sql", normalize_prompt(messages, 10**6)) is not None


@pytest.mark.parametrize(
    "messages",
    [
        [
            _user("can you help me with my SQL homework?"),
            _assistant("Sure, share the question."),
            _user("actually never mind, can you write a haiku about autumn instead"),
        ],
        [
            _user("SELECT region, SUM(amount) FROM sales GROUP BY region"),
            _assistant("That sums sales per region."),
            _user("now do the same with a pandas DataFrame please"),
        ],
        [_user("what's the capital of australia?"), _assistant("Canberra."), _user("and Peru?")],
        [_system("You are an expert in MongoDB."), _user("find all orders over 100 dollars")],
        [
            _user("my mongodb query is slow: db.orders.find({status: 'x'})"),
            _assistant("Add an index on status."),
            _user("how do I add it?"),
        ],
    ],
)
def test_conversations_that_leave_or_never_touch_sql_are_not_sql(messages: Messages) -> None:
    assert detect_turn("sql", normalize_prompt(messages, 10**6)) is None
    if not any(sql_context(m["content"]) for m in messages):  # else recall mode counts it
        assert detect_turn("sql", normalize_prompt(messages, 10**6), recall=True) is None


def test_recall_mode_reads_context_a_topic_switch_would_hide() -> None:
    prompt = normalize_prompt(
        [
            _user("SELECT region, SUM(amount) FROM sales GROUP BY region"),
            _assistant("That sums sales per region."),
            _user("now do the same with a pandas DataFrame please"),
        ],
        10**6,
    )
    hits = scan_prompt(prompt, recall_for=("sql",))
    assert "sql" not in hits.names
    assert hits.recall == frozenset({"sql"})
    assert hits.turns == {"sql:recall": 0}


def test_recall_mode_flags_more_than_the_default_mode() -> None:
    # "is mysql ok for a few user records?" once needed the recall mode; the grey-zone
    # scorer now finds it in the default mode too (tests/router/test_sql_model.py checks
    # that the recall mode's lower threshold flags more)
    text = "is mysql ok for a few user records?"
    assert detect_sql(text) and detect_sql(text, recall=True)


def test_pii_in_a_system_prompt_is_attributed_to_it() -> None:
    prompt = normalize_prompt(
        [_system("Escalate to ann@example.org when unsure."), _user("where is my parcel?")], 10**6
    )
    assert scan_prompt(prompt) == DetectorHits(frozenset({"pii"}), frozenset(), {"pii": 0})


def test_context_strength_and_topic_switch() -> None:
    assert sql_context("CREATE TABLE t (id int primary key);") == 2
    # an engine named: 1 (short follow-ups count) or, when the scorer reads the turn as an
    # SQL request itself, 2
    assert sql_context("I'm on sql server 2019") >= 1
    assert sql_context("I love hiking in the alps") == 0
    assert leaves_sql("never mind, write me a poem instead")
    assert not leaves_sql("ok now sort it by the total")


def test_shipped_policy_asks_for_the_high_recall_mode() -> None:
    rule = next(r for r in default_policy().overrides if r.name == "sql-no-speculation")
    assert rule.match.detector == "sql" and rule.match.mode == "recall"


def test_recall_mode_is_only_for_detectors_that_have_one() -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    bad = text.replace("match: {detector: pii}", "match: {detector: pii, mode: recall}")
    assert bad != text
    with pytest.raises(PolicyError, match="mode: recall needs a detector"):
        parse_policy(bad)


def test_decisions_without_detector_turns_still_load() -> None:
    data = json.loads(route("SELECT 1 FROM t WHERE a = 2").to_json())
    assert data["detector_turns"]["sql"] == 0
    del data["detector_turns"]  # a record written before the field existed
    assert Decision.from_dict(data).detector_turns == {}


def test_route_command_prints_where_detectors_fired(tmp_path: Any) -> None:
    from serving import app

    path = tmp_path / "messages.json"
    path.write_text(json.dumps(SCHEMA_CHAT), encoding="utf-8")
    result = CliRunner().invoke(app, ["route", "--messages", str(path)])
    assert result.exit_code == 0, result.output
    assert "sql on message 0" in result.output
    as_json = CliRunner().invoke(app, ["route", "--messages", str(path), "--json"])
    assert json.loads(as_json.output)["detector_turns"] == {"sql": 0}
