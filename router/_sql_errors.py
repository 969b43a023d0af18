"""Database error messages: each decides alone that a request is SQL, like a statement.

Three kinds, by cost: ``ERROR_MARKERS`` (substrings looked for where a word starts),
``ERROR_MARKERS_BY_WORD`` (engine messages searched only when their key word is in the
prompt) and ``ERROR_PHRASES`` (a pattern tried at the ``ERROR_ANCHORS`` words near the
head and tail of a prompt). Data only; :mod:`router._sql` reads them.
"""

from __future__ import annotations

import re

__all__ = [
    "ERROR_ANCHORS",
    "ERROR_MARKERS",
    "ERROR_MARKERS_BY_WORD",
    "ERROR_PHRASES",
    "oracle_error",
]

# Database error messages: each decides alone, like an SQL statement.
ERROR_MARKERS = tuple(
    "sqlstate|psycopg2.errors|psycopg2.|sqlite3.operationalerror|"
    "sqlite3.integrityerror|pg::|activerecord::statementinvalid|er_dup_entry|er_parse_error|"
    "identity_insert|mysql server version for the right syntax|sql server error|pls-00|sp2-0".split(
        "|"
    )
)
# Engine messages searched only when their word is in the prompt (a substring search over a
# long prompt for each would cost every gated prompt): SQLite, PostgreSQL, MySQL, SQL Server,
# Db2, Snowflake and JDBC messages, keyed by one word each holds.
_WORD_MARKERS = (
    (
        "constraint",
        "unique constraint failed|not null constraint failed|foreign key constraint "
        "failed|no unique constraint matching",
    ),
    ("sqlite", "sqlite_busy|sqlite_constraint"),
    ("locked", "database is locked"),
    ("serialize", "could not serialize access"),
    ("canceling", "canceling statement due to"),
    ("cancelling", "cancelling statement due to"),
    ("aborted", "current transaction is aborted"),
    ("long", "value too long for type"),
    ("column", "null value in column|data truncated for column|out of range value for column"),
    ("role", "too many connections for role"),
    ("authentication", "authentication failed for user"),
    ("transaction", "lock on transaction"),
    ("relation", "lock on relation|permission denied for relation"),
    ("child", "cannot add or update a child row"),
    ("parent", "cannot delete or update a parent row"),
    ("errno", "errno: 150|errno 150"),
    ("incorrect", "incorrect string value"),
    (
        "denied",
        "access denied for user '|permission denied for table|permission denied for "
        "schema|permission denied for sequence",
    ),
    ("away", "server has gone away"),
    ("full", "only_full_group_by"),
    ("converting", "conversion failed when converting|arithmetic overflow error converting"),
    ("truncated", "would be truncated"),
    ("multi-part", "multi-part identifier"),
    ("object", "invalid object name '"),
    ("deadlocked", "deadlocked on lock"),
    ("request", "lock request time out"),
    ("sqlcode", "sqlcode"),
    ("depend", "because other objects depend on it"),
    ("sqlsyntaxerrorexception", "sqlsyntaxerrorexception"),
    ("sqlexception", "sqlexception"),
    ("compilation", "sql compilation error"),
    ("deadlock", "deadlock found when trying to get lock"),
    # twelfth pass: PostgreSQL's type mismatch on INSERT or UPDATE
    ("expression", "but expression is of type"),
)
ERROR_MARKERS_BY_WORD = {w: tuple(m.split("|")) for w, m in _WORD_MARKERS}

ERROR_PHRASES = re.compile(
    r"(?:must\s+appear\s+in\s+(?:the\s+)?group\s+by|subquery\s+returns?\s+more\s+than\s+"
    r"(?:1|one)\s+row|single-row\s+subquery|violates\s+(?:unique|foreign\s+key|not-null|check)"
    r"\s+constraint|duplicate\s+key\s+value|error\s+in\s+your\s+sql\s+syntax|syntax\s+error\s+"
    r"at\s+or\s+near|(?:relation|table|column|role|database|schema|function|sequence|type|"
    r"index|constraint|extension)\s+[`\"'][\w.]+[`\"']\s+(?:does\s+not|doesn'?t)\s+"
    r"exist|"
    r"unknown\s+column\s+'|ambiguous\s+column\s+name|column\s+reference\s+\"\w+\"\s+is\s+"
    r"ambiguous|foreign\s+key\s+constraint\s+fails|integrity\s+constraint\s+violation|"
    r"invalid\s+in\s+the\s+select\s+list|duplicate\s+entry\s+'|no\s+such\s+(?:table|column):|"
    r"operand\s+should\s+contain\s+\d+\s+column|invalid\s+identifier|lock\s+wait\s+timeout|invalid\s+column\s+name\s+'|"
    r"msg\s+\d{3,5},\s+level\s+\d+|error\s+\d{4}\s+\(\w{5}\))"
)
ERROR_ANCHORS = tuple(
    "must|subquer|single-row|violates|duplicate|error|syntax|relation|table|column|unknown|"
    "ambiguous|foreign|integrity|invalid|no|operand|msg|lock|role|function|sequence|type|"
    "extension".split("|")
)

# Oracle's codes: "ORA-00942", five digits, not inside a host name ("prod-api-ora-04").
_ORA = re.compile(r"(?<![\w-])ora-\d{5}\b")


def oracle_error(lower: str) -> bool:
    """An Oracle error code in the lower-cased text."""
    return "ora-" in lower and _ORA.search(lower) is not None
