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
from router._sql import detect_sql
from router._sql_context import leaves_sql, sql_context

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


def test_recall_mode_reads_context_a_look_alike_mention_would_hide() -> None:
    # the default mode leaves SQL when the follow-up names a look-alike tool; the
    # high-recall mode only for a clear topic change (its own task in that tool)
    prompt = normalize_prompt(
        [
            _user("SELECT region, SUM(amount) FROM sales GROUP BY region"),
            _assistant("That sums sales per region."),
            _user("how would pandas compare here?"),
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


# --- topic changes, system prompts that set another task, single-message look-alikes -------
# (phrasings written for these tests, not taken from any evaluation file)
PRICES_QUERY = [
    _user("SELECT sku, AVG(price) FROM listings WHERE shop_id = 7 GROUP BY sku"),
    _assistant("It averages the listing price of each SKU in shop 7."),
]
LEDGER_SCHEMA = [
    _user("tables: ledger(id, account_id, amount, booked_at), accounts(id, owner, branch)"),
    _assistant("Understood."),
]


def _fires(messages: Messages) -> bool:
    return "sql-no-speculation" in route(messages).rules


@pytest.mark.parametrize("context", [PRICES_QUERY, LEDGER_SCHEMA])
@pytest.mark.parametrize(
    "follow_up",
    [
        "cool, now a limerick about my cat please",  # creative writing
        "could you write a teams message for ops saying the import finished",  # a message
        "random q: what is 180 degrees fahrenheit in celsius",  # a unit conversion
        "suggest three good mystery novels for a long flight",  # a recommendation
        "turn this into a Prisma schema for me",  # another tool's schema
        "now express it as a DynamoDB table with a sort key",  # another store
    ],
)
def test_a_clear_topic_change_is_not_sql_in_either_mode(context: Messages, follow_up: str) -> None:
    prompt = normalize_prompt([*context, _user(follow_up)], 10**6)
    assert detect_turn("sql", prompt) is None
    assert detect_turn("sql", prompt, recall=True) is None
    assert not _fires([*context, _user(follow_up)])


@pytest.mark.parametrize("context", [PRICES_QUERY, LEDGER_SCHEMA])
@pytest.mark.parametrize(
    "follow_up", ["why?", "only for 2022 now", "make it quicker", "and per branch?", "as json"]
)
def test_short_elliptical_follow_ups_stay_sql(context: Messages, follow_up: str) -> None:
    assert _fires([*context, _user(follow_up)])


def test_a_system_prompt_sql_tutor_does_not_hold_a_request_that_says_it_is_done() -> None:
    tutor = _system("You are a patient MySQL teacher.")
    assert not _fires([tutor, _user("that's enough sql for now, suggest a board game for 4")])
    assert _fires([tutor, _user("why does my LEFT JOIN drop rows?")])
    # the cue is not SQL evidence, but the rest of the request still is
    assert _fires([tutor, _user("unrelated: write a query listing users with no orders")])


@pytest.mark.parametrize(
    ("system", "user"),
    [
        (
            "You write short, upbeat job postings for a staffing agency.",
            "data analyst, SQL Server and SSIS, Lisbon office, 3 days on site",
        ),
        (
            "Tu es un traducteur : traduis en anglais tout ce que l'utilisateur écrit.",
            "Les commandes sont stockées dans une base PostgreSQL, table commandes.",
        ),
        (
            "Summarise every message the user sends in one sentence.",
            "Postmortem: a migration locked the payments table in MySQL for 14 minutes.",
        ),
        (
            "You are an assistant that proofreads release notes.",
            "v2.3 moves the audit log from SQLite to a Postgres database and adds two indexes",
        ),
    ],
)
def test_a_system_prompt_that_sets_another_task_makes_database_words_material(
    system: str, user: str
) -> None:
    prompt = normalize_prompt([_system(system), _user(user)], 10**6)
    assert detect_turn("sql", prompt, recall=True) is None
    assert not _fires([_system(system), _user(user)])


def test_under_another_task_an_explicit_request_for_sql_is_still_sql() -> None:
    system = _system("Translate whatever the user writes into Italian.")
    ask = _user("wait, first write me a query that lists customers without invoices")
    assert _fires([system, ask])
    sql_system = _system("You translate analysts' questions into SQL for our Postgres db.")
    assert _fires([sql_system, _user("signups per week this year")])
    # a conditional instruction sets no task: the request is read as usual
    general = _system("Be brief. Summarise your answer when it gets long.")
    assert _fires([general, _user("my postgres autovacuum never finishes on the events table")])


@pytest.mark.parametrize(
    "text",
    [
        "Power BI measure for running margin %, the formula returns blank for the first month",
        "In EF Core how do I set up a many-to-many between Student and Course via modelBuilder",
        "which library would you suggest for versioning sql schema migrations in a Rust app",
        "node script: turn each line of a csv into a separate json file keyed by the sku column",
    ],
)
def test_single_message_look_alikes_are_not_sql(text: str) -> None:
    assert not detect_sql(text) and not detect_sql(text, recall=True)
    assert not _fires([_user(text)])


def test_look_alikes_that_ask_about_sql_or_a_database_stay_sql() -> None:
    assert detect_sql("what SQL does EF Core generate for this Include and why is it slow")
    assert detect_sql("load this csv file into a postgres table, then dedupe it with SQL")


def test_an_engine_lock_error_decides_alone() -> None:
    text = (
        "Deadlock found when trying to get lock; try restarting transaction\n"
        "two cron jobs touch the same stock counters, what can I change?"
    )
    assert detect_sql(text)


def test_french_es_is_not_elasticsearch_in_a_system_prompt() -> None:
    system = _system("Tu es un assistant SQL pour une base SQLite (tables clients, factures).")
    assert _fires([system, _user("quels clients n'ont aucune facture cette année ?")])
