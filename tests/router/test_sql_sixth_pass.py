"""Issue 14, sixth pass: the categories fixed for outsider-written conversations, each with
phrasings that are in no evaluation or tuning set, and the near misses each must leave
alone. Every assertion holds in the shipped high-recall mode and the default mode."""

from __future__ import annotations

import pytest

from router import route
from router._detectors import detect_sql


def _both(text: str) -> tuple[bool, bool]:
    return detect_sql(text), detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "turn these on-call notes into a handover email:\n- postgres replica lag 200s\n"
        "- reindexed the invoices table\n- vpn cert renewed",
        "convert this support thread into an FAQ entry:\nQ: the export to mysql fails\n"
        "A: we raised max_allowed_packet",
        "make this incident log into a short post-mortem:\n02:10 select on payments slow\n"
        "02:40 killed the long transaction",
        "ok thanks! now could you write a short poem for our DBA's retirement, she ran our "
        "oracle databases for 20 years",
        "write a rap verse about sql injection for the security training",
        "tell us a joke about database normalization",
    ],
)
def test_text_and_creative_tasks_over_sql_words_are_not_sql(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "turn this query into a summary view: SELECT region, sum(total) FROM sales GROUP BY region",
        "ok thanks, now turn these notes into a query: orders after 2023, joined to customers, "
        "select * from orders where placed_at > '2023-01-01'",
    ],
)
def test_a_task_whose_object_is_sql_stays_sql(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "SOQL: SELECT Id FROM Contact WHERE Email = null returns nothing in my trigger",
        "couchbase: SELECT COUNT(*) FROM `orders` WHERE status = 'new' is slow, which index?",
        "Put this in a helper: val q = N1qlQuery.simple(\"SELECT id FROM `app` WHERE kind = 'u'\")",
    ],
)
def test_other_stores_sql_like_statements_are_not_sql_in_either_mode(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "Make my CV sound more senior: 4 years of PostgreSQL, MySQL, query tuning, partitioning, "
        "stored procedures, replication",
        "shorten this job posting: DBA wanted, SQL Server 2019, Always On, T-SQL, index tuning",
    ],
)
def test_career_texts_naming_sql_stay_out_in_the_high_recall_mode(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "django: why does my queryset issue a separate select for every author in the loop",
        "our laravel page executes 90 queries, how do I find which eloquent call causes them",
        "sqlalchemy: can I log the raw sql each session flush sends",
        "what join does hibernate generate for a ManyToMany with a join table",
    ],
)
def test_the_sql_an_orm_emits_is_sql(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "django: how do I register a model in the admin with a custom list filter",
        "sqlalchemy: how do I declare a dataclass-style model with mapped_column",
        "rails: where should I put form objects",
    ],
)
def test_orm_code_without_its_sql_stays_out(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "Student(student_id, name, major) and Enrollment(student_id, course_id, grade): "
        "which students take every course",
        "Is this 2NF? Shipment(shipment_id, order_id, customer_name, warehouse_city)",
        "tickets(id, agent_id, opened_at, closed_at): median time to close per agent per week",
    ],
)
def test_a_table_in_relation_notation_is_sql(text: str) -> None:
    assert _both(text) == (True, True)


@pytest.mark.parametrize(
    "text",
    [
        "in python, why does fetch_user(user_id, timeout, retries) hang",
        "what does resize(img_id, width, height) return in this library",
        "Point(x, y, z) in my javascript class prints undefined",
    ],
)
def test_function_calls_that_look_like_relations_stay_out(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "can a phantom read happen under repeatable read",
        "simple case expression vs searched case expression",
        "should created_at be timestamptz",
    ],
)
def test_sql_semantics_named_without_an_sql_word(text: str) -> None:
    assert detect_sql(text, recall=True)


def test_a_poem_after_an_sql_conversation_is_speculative_with_the_shipped_policy() -> None:
    messages = [
        {"role": "user", "content": "why is my postgres count(*) slow on 50M rows"},
        {"role": "assistant", "content": "It has to scan the table; keep a counter table."},
        {
            "role": "user",
            "content": "nice, thx. could you write a haiku for my colleague who "
            "taught me sql? it's her last day",
        },
    ]
    decision = route(messages)
    assert "sql" not in decision.detectors and "sql:recall" not in decision.detector_turns


@pytest.mark.parametrize(
    "text",
    [
        "postgres or mysql for a django blog with comments",
        "for a laravel crm, would you pick mariadb or sqlite",
    ],
)
def test_choosing_between_sql_engines_for_an_app_is_sql(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "does truncate reset the auto increment like delete does not",
        "will a rollback undo a truncate inside a transaction in sql server",
        "do extra indexes hurt insert speed much",
        "should I index the created_at column if I always sort by it",
        "why does WHERE deleted_at NOT IN (...) skip rows when deleted_at is null",
        "count(email) vs count(*) returns different numbers, why",
        "a comma separated list of tag ids in the posts table, good or bad",
        "join employees to their latest salary record",
    ],
)
def test_sql_semantics_commands_and_design_in_prose_are_sql(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "truncate a long title to 40 characters in css",
        "java: Integer vs int when the value may be null",
        "split a comma separated environment variable into an array in bash",
        "pyspark: left join two dataframes and keep the latest row per key, no spark sql",
        "dplyr: count rows per group, without sql",
        "remove duplicate rows from a polars frame by two columns",
    ],
)
def test_their_look_alikes_stay_out(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "what are common among these errors?\nts,svc,msg\n1,api,'SELECT * FROM carts timed out'\n"
        "2,api,'SELECT * FROM carts timed out'\n3,web,'502 from upstream'",
        "triage these tickets by urgency:\n#12 report query slow: SELECT * FROM sales\n"
        "#13 typo on the pricing page\n#14 password reset mail missing",
        "status digest please for these notifications: host db-ora-07 swap 80%, "
        "host db-ora-08 swap 85%, host app-2 ok",
    ],
)
def test_patterns_across_pasted_alerts_and_host_names_are_not_sql(text: str) -> None:
    assert _both(text) == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "ORA-01031: insufficient privileges when creating a view in another schema",
        "why do I get (ORA-00936: missing expression) on this insert",
        "analyze these slow query log entries and suggest an index:\n"
        "# Query_time: 8.1 SELECT * FROM invoices WHERE status = 'open'",
    ],
)
def test_oracle_codes_and_slow_query_logs_stay_sql(text: str) -> None:
    assert _both(text) == (True, True)


@pytest.mark.parametrize(
    "text",
    [
        "how do I get the sum of payments per user for each month",
        "I need the latest invoice for every customer",
        "how can I count the orders per product including products with no orders",
    ],
)
def test_short_analytics_over_business_records_is_sql_in_the_high_recall_mode(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    [
        "how do I get the average of these per user: ann 3, bob 5, cy 9",
        "how many customers per hour should a new bakery typically expect",
        "what is the average salary per department in tech companies",
    ],
)
def test_analytics_over_given_numbers_or_facts_stays_out(text: str) -> None:
    assert _both(text) == (False, False)


def test_the_same_question_in_a_pandas_or_sheets_chat_is_speculative() -> None:
    pandas = [
        {"role": "system", "content": "You help with pandas dataframes."},
        {"role": "user", "content": "how do I get the latest invoice for every customer"},
    ]
    sheet = [
        {"role": "user", "content": "our sales log lives in a google sheet (date, rep, amount)"},
        {"role": "assistant", "content": "Sure, what do you need?"},
        {"role": "user", "content": "how do I get the sum of sales per rep for each month"},
    ]
    for messages in (pandas, sheet):
        decision = route(messages)
        assert "sql" not in decision.detectors and "sql:recall" not in decision.detector_turns


@pytest.mark.parametrize(
    "text",
    [
        "is there a way to enforce on the table that quantity is never negative",
        "we want to enforce referential integrity between invoices and clients, how",
    ],
)
def test_a_business_rule_enforced_by_the_schema_is_sql(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize(
    "text",
    ["enforce a max line length in black", "how do I enforce 2FA for all users in github"],
)
def test_enforcing_other_rules_stays_out(text: str) -> None:
    assert _both(text) == (False, False)
