"""Prompt detectors: unit behaviour and linear time on hostile input.

Measured quality on the shared data: tests/router/test_detector_quality.py.
"""

from __future__ import annotations

import pytest

from router._detectors import (
    DETECTORS,
    PiiMatch,
    detect_code,
    detect_math,
    detect_pii,
    detect_sql,
    find_pii,
)

# --- SQL -------------------------------------------------------------------------------------

SQL_TEXT = [
    "SELECT name FROM users WHERE id = 3; why is this slow?",
    "select name, email from users where id = 3",
    "select count(*) from orders group by customer_id",
    "SELECT T2.name FROM singer_in_concert AS T1 JOIN singer AS T2 ON T1.singer_id = T2.singer_id",
    "CREATE TABLE accounts (id INT PRIMARY KEY, email VARCHAR(255) NOT NULL);",
    "create table if not exists events (id serial primary key, payload jsonb)",
    "WITH recent AS (SELECT * FROM orders WHERE day > now() - interval '7 days') "
    "SELECT count(*) FROM recent",
    "INSERT INTO users (name, email) VALUES ('Ann', 'ann@example.org')",
    "UPDATE accounts SET balance = balance - 10 WHERE id = 7",
    "delete from sessions where expires_at < now();",
    "ALTER TABLE replay ADD COLUMN rank varchar(20); what is the syntax error?",
    "Can you explain this?\nselect a.id from a left join b on a.id = b.a_id where b.id is null",
    "### SQLite SQL tables, with their properties:\n#\n# singer(id, name, age)\n#\n"
    "### How many singers are there?\nSELECT",
    'check this code: $stmt = "SELECT \\* FROM tbl\\_task ORDER BY task\\_id DESC";',
]
SQL_REQUESTS = [
    "write a query that returns the top customers by revenue",
    "give me a postgres query to count orders per day",
    "how do I join these two tables on customer id?",
    "what's the difference between a left join and an inner join?",
    "Write a SQL query to find the second highest salary",
    "how do I find duplicate email addresses in my users table?",
    "I have tables orders(id, customer_id, total) and customers(id, name). Total per customer?",
    "explain window functions with an example in sql",
    "how do I grant read-only access on a schema to a new role in postgres?",
    "How do you disable and enable constraints in a sql server database?",
    "write a trigger that sets the updated_at column on every update",
]
NOT_SQL = [
    "select the best answer from the options below",
    "Select all that apply: which of these are mammals?",
    "What is the national animal of Canada?",
    "Which team won the 2018 world cup?",
    "best pizza near me open now",
    "Web search results: [1] ... Query: what is a spot VM?",
    "query { user(id: 3) { name email } } -- why does this GraphQL query return null?",
    "$('#menu').find('li').first().addClass('active'); jQuery select the first item",
    "update me on the news",
    "drop the table from the presentation, it is too busy",
    "Create a table comparing the iPhone 15 and the Pixel 8",
    "Give me a table of contents for a book about meditation",
    "Write a YouTube video script about push-ups",
    "Skills: Python, SQL, Tableau. Please improve my resume summary.",
    "df.groupby('region')['sales'].sum() -- how do I sort this pandas result?",
    "Write an Elasticsearch query that finds documents where title matches 'hvac'",
    "In Excel, how do I join two columns with a space?",
    "Which insert should I buy for my running shoes?",
    "I need to delete from my calendar all the meetings with Bob",
    "create trigger reels that make people stop scrolling",
]


# SQL as people ask for it in chat (issue 14): errors, engines, vocabulary, ORM-made SQL.
CONVERSATIONAL_SQL = [
    'ERROR: column "orders.total" must appear in the GROUP BY clause or be used in an aggregate',
    "getting 'subquery returns more than 1 row' in mysql, how do I fix it",
    "ORA-00942: table or view does not exist but the table is there",
    "SQLSTATE[23000]: Integrity constraint violation: 1062 Duplicate entry '15' for key 'PRIMARY'",
    "Msg 207, Level 16, State 1, Line 6 Invalid column name 'is_primary_key'.",
    "what's the difference between a left join and a full outer join",
    "when should I use a CTE instead of a subquery",
    "explain window functions like I'm five",
    "how do I do an upsert in postgres",
    "should I add a composite index for user_id and created_at?",
    "what is DDL vs DML",
    "bigquery: how to count rows per day",
    "In SQL, what is recursion?",
    "what SQL does Django's select_related generate?",
    "my query is slow on a table with 40 million rows",
    "Why is SELECT * slow on a big table?",
    "difference between WHERE and HAVING?",
    "what's wrong with my query? it says invalid identifier",
    "can you make this faster? we run it every minute and it locks the orders table",
    "how to return only one row per group",
    "what's the difference between rank and dense_rank",
    "how do I calculate a moving average with over()",
    "In oracle how do I get the current date",
    "how do I make a many to many relationship in a database",
    "convert this mongo query to sql: db.users.find({age: {$gt: 30}})",
    "Is it better to denormalize this table for reporting?",
    "list every employee whose salary is above their department average (sql)",
    "mysql keeps saying 'Lock wait timeout exceeded'",
    "what's the difference between truncate and delete",
    "pg_dump is failing with permission denied for table",
    "how do I find the nth highest value in a column",
    "how do I lock a table while updating it",
    "why is my database so slow when I filter by date",
    "query to list every supplier that shipped nothing last quarter",
    "SQL for: monthly revenue by region",
    "we have a db with invoices and clients. how do I get clients without invoices?",
]
CONVERSATIONAL_NOT_SQL = [
    "how do I group by two columns in pandas and sum another",
    "dplyr: left_join two tibbles and keep the first match",
    "pyspark: df.groupBy('country').agg(F.sum('amount')) is slow",
    "mongodb aggregation pipeline to group orders by status",
    "elasticsearch query for documents whose title contains kubernetes",
    "firestore: query a collection where city == 'Paris'",
    "redis: store a leaderboard and get the top 10",
    "dynamodb query by partition key and sort key begins_with",
    "excel: vlookup from another sheet",
    "graphql: a query that fetches a user and their posts",
    "the union is negotiating with management next week",
    "select the five most important points from this article",
    "table tennis tips for beginners",
    "I have a query about my electricity bill",
    "how to join a zoom meeting from my phone",
    "my search query returns nothing on google",
    "the results table in my paper is too wide",
    "one row per line in the csv please",
    "is oracle a good company to work for",
    "convert this python to javascript",
    "my snowflake tattoo is peeling, is that normal",
    "write an essay on the history of the trade union movement",
    "how do I use the union-find data structure",
    "how do I lock my phone screen",
    "my database of recipes is getting big, any app recommendations?",
    "join us for the launch party, rsvp by friday",
    "query: is it rude to bring wine to a potluck?",
    "a database with photos and videos of my trip, which cloud is cheapest?",
]


@pytest.mark.parametrize("text", CONVERSATIONAL_SQL)
def test_sql_detects_sql_as_asked_in_chat(text: str) -> None:
    assert detect_sql(text)


@pytest.mark.parametrize("text", CONVERSATIONAL_NOT_SQL)
def test_sql_ignores_other_query_tools_and_english_sql_words(text: str) -> None:
    assert not detect_sql(text)
    assert not detect_sql(text, recall=True)


@pytest.mark.parametrize("text", SQL_TEXT + SQL_REQUESTS + CONVERSATIONAL_SQL)
def test_sql_recall_mode_keeps_everything_the_default_mode_finds(text: str) -> None:
    assert detect_sql(text, recall=True)


@pytest.mark.parametrize("text", SQL_TEXT + SQL_REQUESTS)
def test_sql_detects_sql_and_requests_for_sql(text: str) -> None:
    assert detect_sql(text)


@pytest.mark.parametrize("text", NOT_SQL)
def test_sql_ignores_ordinary_and_look_alike_prompts(text: str) -> None:
    assert not detect_sql(text)


def test_sql_vetoes_other_query_languages_unless_sql_is_named() -> None:
    cypher = "In neo4j, MATCH (p:Person) RETURN p.name; and in couchbase SELECT name FROM b"
    assert not detect_sql(cypher)
    assert detect_sql(cypher + " -- how would I write the same in SQL?")


def test_sql_long_prompt_needs_the_request_near_its_head_or_tail() -> None:
    filler = "The quarterly report covers revenue, churn and hiring plans. " * 60
    mention = "Our team stores everything in a mysql database with many tables. "
    assert not detect_sql(filler + mention + filler)
    assert detect_sql(filler + "Write a mysql query that lists the tables in the database.")


# --- code ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "```python\nprint('hi')\n```",
        "def add(a, b):\n    return a + b\n\nwhy does this fail?",
        "const isPrime = (n) => {\n",
        "#include <stdio.h>\nint main() { return 0; }",
        "public static void main(String[] args) { System.out.println(1); }",
        'Traceback (most recent call last):\n  File "app.py", line 3',
        "I get TypeError: cannot read properties of undefined",
        "write a function that reverses a linked list",
        "Write a python script that renames files by date",
        "How do I reverse a list in python?",
        "fn main() {\n    let mut v = Vec::new();\n}",
    ],
)
def test_code_detects_code_and_requests_for_code(text: str) -> None:
    assert detect_code(text)


@pytest.mark.parametrize(
    "text",
    [
        "Write a script for a YouTube video about healthy breakfasts",
        "Generate a discount code idea for our spring sale",
        "Create a training program for a beginner runner",
        "What is the capital of Australia?",
        "Summarize the main ideas of Atomic Habits in five bullet points",
        "Let me know what you think of this poem about the sea",
    ],
)
def test_code_ignores_prose(text: str) -> None:
    assert not detect_code(text)


# --- math ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Solve 2x + 3 = 11 for x.",
        "Compute $\\int_0^1 x^2 \\, dx$.",
        "What is \\frac{3}{4} of 48?",
        "Find the derivative of f(x) = 3x^2 + 2x.",
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many "
        "clips in May. How many clips did Natalia sell altogether in April and May?",
        "What is the probability of rolling two sixes with 2 dice?",
        "What is 17 * 23?",
    ],
)
def test_math_detects_equations_and_word_problems(text: str) -> None:
    assert detect_math(text)


@pytest.mark.parametrize(
    "text",
    [
        "Write a poem about autumn leaves",
        "Which gas do plants absorb during photosynthesis?",
        "Our meeting moved to 3 pm on Friday, room 204.",
        "How much does the average person sleep?",
        "Summarize the history of the Roman Empire in 200 words",
    ],
)
def test_math_ignores_prose_with_incidental_numbers(text: str) -> None:
    assert not detect_math(text)


# --- PII -------------------------------------------------------------------------------------


def _spans(text: str) -> list[tuple[str, str]]:
    return [(m.kind, text[m.start : m.end]) for m in find_pii(text)]


def test_pii_finds_each_kind_with_offsets() -> None:
    text = (
        "Mail ann.lee+work@example.co.uk or call +44 20 7946 0958 / (415) 555-2671; "
        "card 4111 1111 1111 1111; key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t."
    )
    assert _spans(text) == [
        ("email", "ann.lee+work@example.co.uk"),
        ("phone", "+44 20 7946 0958"),
        ("phone", "(415) 555-2671"),
        ("credit_card", "4111 1111 1111 1111"),
        ("api_key", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t"),
    ]
    first = find_pii(text)[0]
    assert first == PiiMatch("email", 5, 31)


@pytest.mark.parametrize(
    ("secret", "text"),
    [
        (
            "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2",
            "ANTHROPIC_API_KEY=sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2",
        ),
        (
            "sk-1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuV",
            "openai.api_key = 'sk-1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuV'",
        ),
        ("AKIAIOSFODNN7EXAMPLE", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
        (
            "ghp_1234567890abcdefghijABCDEFGHIJ123456",
            "token: ghp_1234567890abcdefghijABCDEFGHIJ123456",
        ),
        ("github_pat_11ABCDEFG0123456789_abcdefXYZ", "GH=github_pat_11ABCDEFG0123456789_abcdefXYZ"),
        ("xoxb-123456789012-abcdefABCDEF", "SLACK_TOKEN=xoxb-123456789012-abcdefABCDEF"),
        (
            "AIzaSyD-1234567890abcdefghijklmnopqrstu",
            "key=AIzaSyD-1234567890abcdefghijklmnopqrstu&q=x",
        ),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.abc123",
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.abc123",
        ),
    ],
)
def test_pii_finds_api_keys(secret: str, text: str) -> None:
    assert _spans(text) == [("api_key", secret)]


def test_pii_checks_card_numbers_with_luhn() -> None:
    assert _spans("pay with 4242-4242-4242-4242 today") == [("credit_card", "4242-4242-4242-4242")]
    assert _spans("amex 3782 822463 10005") == [("credit_card", "3782 822463 10005")]
    assert detect_pii("4111111111111111")
    assert not detect_pii("pay with 4242-4242-4242-4241 today")  # fails the Luhn check
    assert not detect_pii("order 1234567812345678")  # fails the Luhn check


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("log 2023-01-04 12:01:33 ok, 2023-01-04 12:02:10 ok, call (415) 555-2671", True),
        ("log 2023-01-04 12:01:33 ok, 2023-01-04 12:02:10 ok", False),  # dates are no phones
        ("write to " + "a" * 64 + "@example.org", True),  # the longest local part
        ("write to " + "a" * 65 + "@example.org", False),  # one too long
        ("see src/a@example.org and @media print {}", False),  # a path, a CSS rule
        ("@decorator\ndef f(): pass  # ann.lee+x@mail.example.co.uk", True),
    ],
)
def test_detect_pii_agrees_with_find_pii_on_numbers_and_emails(text: str, expected: bool) -> None:
    # detect_pii only looks at runs of digits and walks back from each "@": same answer
    assert detect_pii(text) is expected and bool(find_pii(text)) is expected


@pytest.mark.parametrize(
    "text",
    [
        "pip install scikit-learn; see the sk-learn-tutorial-for-beginners page",
        "Released 2023-01-08, version 4.11.1111, build 20230108",
        "Meet at 10:30 on 2024-05-06 in room 1204",
        "ISBN 978-0-13-468599-1 and order #000123",
        "uses: actions/cache@v3.When the cache misses, rebuild",
        "The population grew from 1,234,567 to 2,345,678",
        "Bearer tokens are sent in the Authorization header",
    ],
)
def test_pii_ignores_numbers_and_words_that_only_look_sensitive(text: str) -> None:
    assert find_pii(text) == []


# --- registry and linear time ----------------------------------------------------------------


def test_registry_names_every_detector() -> None:
    assert DETECTORS == {
        "sql": detect_sql,
        "code": detect_code,
        "math": detect_math,
        "pii": detect_pii,
    }


MB = 1_000_000
ADVERSARIAL = {
    "letters": "a" * MB,
    "at-signs": "a@" * (MB // 2),
    "email-like": ("a" * 63 + "@" + "b" * 63 + ".") * (MB // 128),
    "digits": "1" * MB,
    "digit-groups": "4111 1111 1111 1111 " * (MB // 20),
    "phones": "415-555-2671 " * (MB // 13),
    "select-from": "select a from " * (MB // 14),
    "SELECT-no-FROM": "SELECT a, " * (MB // 10),
    "join-on": "join t on " * (MB // 10),
    "open-parens": "(" * MB,
    "backslashes": "\\" * MB,
    "dollar-math": "$x^" * (MB // 3),
    "key-prefix": "sk-" + "a1" * (MB // 2),
    "mixed": "SELECT * FROM t; sk-ab12 x@y.com 415-555-2671 $x^2$ def f(: " * (MB // 60),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("detector", sorted(DETECTORS))
def test_detectors_finish_on_hostile_megabyte_input(detector: str, name: str) -> None:
    # A guard against catastrophic backtracking: this must simply return (bench times it).
    assert DETECTORS[detector](ADVERSARIAL[name]) in (True, False)
