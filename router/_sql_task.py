"""The SQL detector's gate substrings, SQL problem idioms that name no SQL word, and the
"SQL as material for another task" cue (``router._sql`` uses all three).

* ``GATE_UPPER``/``GATE_LOWER``: besides the gate's words (``router._sql_vocab.GATE``), a
  prompt containing one of these passes to the rules.
* ``IDIOMS``: classic SQL problems people name without an SQL word ("gaps and islands",
  "running total", "delete duplicate rows", "employees who earn more than their manager",
  InnoDB vs MyISAM): 4 points, like the vocabulary of ``PHRASES_4``.
* :func:`task_kind`: the request opens with a task whose object is not SQL (translate into
  Spanish, summarise, proofread, draft an email, turn these notes into...; or code in
  another tool built from an SQL schema: "Create a Symfony repository based on this sql"):
  the SQL that follows is its material, not its topic. Such text and code tasks are not SQL
  requests (unless the material holds a database error message, which still decides); a
  rewrite or translation whose object is not named is a feature of the learned scorer
  (weight learned on the development half).
"""

from __future__ import annotations

import re

from router._sql_shapes import SHAPE_CUES, orm_sql
from router._sql_texts import CAREER, CREATIVE, INTO_TEXT, PATTERNS_IN, text_task

__all__ = [
    "CUE_GATE",
    "GATE_LOWER",
    "GATE_UPPER",
    "IDIOMS",
    "cue_score",
    "idiom",
    "other_task",
    "task_kind",
]

GATE_UPPER = ("BY ", "HAVING", "COALESCE", "UNION", "DISTINCT", "NULL", "OFFSET", "WHERE")
IDIOMS = (
    "gaps and islands",
    "gaps-and-islands",
    "innodb",
    "myisam",
    "duplicate rows",
    "duplicate records",
    "closure table",
    "nested set model",
    "soft delete",
    "than their manager",
    "than his manager",
    "than her manager",
    "never placed an order",
    "never ordered",
    "but not in the other",
    "but not the other",
    # sixth pass: SQL semantics named without an SQL word
    "phantom read",
    "case expression",
    "timestamptz",
    "slowly changing dimension",
    "scd type",
    "scd2",
    # fourteenth pass: relational algebra's join symbol ("π_name(σ_grade='7a'(R) ⋈ S)")
    "⋈",
)
GATE_LOWER = (
    *IDIOMS,
    # as common outside SQL (a petty-cash program, a founder's bio): gate only, no points
    "running total",
    "running sum",
    "cumulative sum",
    "cumulative total",
    "ora-",
    "sqlstate",
    "must appear in the group by",
    "returns more than",
    "case when",
    "normal form",
    "primary key",
    "foreign key",
    "-to-many",
    "msg ",
    "window function",
    "isolation level",
    "execution plan",
    "query plan",
    "n+1 quer",
    "materialized view",
    "pg_",
    "truncate",
    # database error messages (router._sql_errors.ERROR_PHRASES)
    "constraint",
    "duplicate key",
    "duplicate entry",
    "syntax error",
    "no such table",
    "no such column",
    "unknown column",
    "ambiguous",
    "invalid column",
    "does not exist",
    "single-row",
    "_rank",
    "row_number",
    "over(",
    "over (",
    "partition by",
    "normaliz",
    "normalis",
    "index strateg",
    "indexing strateg",
    "invalid identifier",
    "lock wait",
    "pls-00",
    "null = null",
    "count(*)",  # PL/SQL errors; the fifth pass's other messages pass by a word (GATE_BY_WORD)
)


def idiom(lower: str) -> bool:
    """An SQL problem idiom (``IDIOMS``) in the lower-cased request."""
    return any(i in lower for i in IDIOMS)


# An acknowledgement before the task ("cool. can you write a poem ...", "great, thanks! now").
_LEAD_IN = re.compile(
    r"(?:(?:ok(?:ay)?|cool|great|thanks?|thank\s+you|thx|nice|perfect|awesome|got\s+it|sure|"
    r"alright|lol|haha|now|also|and)\b[\s!.,]*)*"
)
# A task at the start of the request (or of its second line, after a greeting). "text":
# work on prose (summarise, proofread, a post or an email about it); "rewrite": rewrite or
# translate, whose object may be SQL ("rewrite this:" before a query).
# The text genres (INTO_TEXT ... CAREER) are in router._sql_texts.
_TASK = re.compile(
    r"(?:please\s+|can\s+you\s+|could\s+you\s+|pls\s+|help\s+me\s+)?(?:also\s+|now\s+|just\s+)?(?:"
    + INTO_TEXT
    + PATTERNS_IN
    + CREATIVE
    + r"(?P<rewrite>translate|rewrite|convert)|summari[sz]e|proof-?read|paraphrase|rephrase|"
    r"reword|classify|categori[sz]e|sort\s+these|(?:extract|give\s+me|list|pull\s+out)\s+"
    r"(?:the\s+|all\s+)?(?:action\s+items|key\s+points)|turn\s+(?:these|this|the|my)\s+(?:\w+\s+)?(?:notes|text|paragraph|email)|"
    r"make\s+(?:this|it)\s+(?:sound|more)|correct\s+(?:the\s+)?grammar|"
    r"(?:write|draft|compose|create)\s+(?:me\s+)?(?:a|an)\s+(?:\w+\s+){0,2}?(?:post|poem|story|song|"
    r"tweet|bio|speech|essay|cover\s+letter|email|letter|press\s+release|haiku|limerick|"
    r"announcement|newsletter)|"
    + CAREER
    + r"|explain\s+in\s+simple\s+(?:words|terms)\s+what\s+this\s+"
    r"(?:readme|text|paragraph|document|email|article))\b"
)
# Code in another tool built from an SQL schema ("Create symfony repository based on this
# sql", "generate TypeScript types from these tables"): the DDL is the material.
_CODE_FROM_SQL = re.compile(
    r"(?:please\s+|can\s+you\s+)?(?:create|generate|write|build|make|implement)\s+(?:me\s+)?"
    r"(?:an?\s+|the\s+)?(?:[\w\"'#+./-]+\s+){0,8}?(?:repository|repositories|entity|entities|"
    r"class|classes|dto|dtos|api|endpoints?|controller|form|component|command|mapping|struct|"
    r"(?:eloquent|jpa|orm|django|sqlalchemy|prisma|sequelize|typeorm|doctrine|hibernate)\s+"
    r"models?|factor(?:y|ies)|"
    r"structs|interfaces?|types|model\s+class)\b[^\n]{0,80}?\b(?:based\s+on|from|for|using)\s+"
    r"(?:this|the|these|following|my)\s+(?:following\s+)?(?:sql|schema|table|tables|ddl)\b"
)
# The object of the task is SQL itself ("translate this query to postgres", "rewrite this
# stored procedure", "make it faster"): then the prompt is an SQL request after all.
_SQL_OBJECT = re.compile(
    r"sql|quer(?:y|ies)|statement|procedure|schema|join|database|faster|efficient|optimi|"
    r"performan"
)
_HUMAN_LANGUAGE = re.compile(
    r"\b(?:in)?to\s+(?:english|french|german|spanish|chinese|japanese|korean|italian|"
    r"portuguese|russian|arabic|hindi|dutch|polish|turkish|vietnamese|indonesian|thai)\b"
)
_OBJECT_SPAN = 40  # characters after the task verb that name its object


def task_kind(lower: str) -> str | None:
    """What the lower-cased request opens with, when it is not SQL work: "text" (a text
    task, or a translation into a human language), "code" (code in another tool built from
    SQL), "rewrite" (rewrite or translate something that is not named as SQL), else None."""
    for start in (0, lower.find("\n") + 1 or len(lower)):
        head = lower[start : start + 300].lstrip(" \t\"'*#>-")
        lead = _LEAD_IN.match(head)
        head = head[lead.end() :] if lead else head
        if _CODE_FROM_SQL.match(head):
            return "code"
        m = _TASK.match(head)
        if m is None:
            continue
        if m.group("creative") or m.group("career"):
            return "text"  # SQL named in a poem, a bio or a study plan is its topic
        obj = re.split(r"[:\n]", head[m.end() : m.end() + _OBJECT_SPAN], maxsplit=1)[0]
        if _SQL_OBJECT.search(head[: m.end()] + obj):
            return None
        further = head[m.end() : m.end() + 2 * _OBJECT_SPAN].split("\n", 1)[0]
        if m.group("rewrite") and not _HUMAN_LANGUAGE.search(further):
            return "rewrite"
        return "text"
    return "text" if text_task(lower) else None


def other_task(lower: str) -> bool:
    """The lower-cased request opens with a task whose object is not SQL."""
    return task_kind(lower) is not None


# --- Relational cues: words that are SQL work only beside a relational word ---------------
# (trigger words, pattern searched in the lower-cased head and tail, points). A trigger
# word must be in the prompt before its pattern runs, so a prompt pays only for the cues
# it can match; every pattern is bounded (no nested unbounded repeats). Points are taken
# like the vocabulary's (the best cue counts), so "deadlock ... transactions" is SQL while a
# thread or goroutine deadlock, Kafka consumer lag or a vacuum cleaner is not.
_ROWS = r"(?:rows?|tables?|transactions?|inserts?|updates?|deletes?|records?|select|queries|query)"
_NOT_END = r"[^.?!\n]"  # within one sentence
_NULL_FN = r"(?:isnull|ifnull|nvl2?|nullif)"
_CUE_SOURCES: tuple[tuple[str, int, str], ...] = (  # (trigger words, points, pattern)
    # concurrency in a database: deadlocks on rows, tables and transactions
    (
        "deadlock deadlocks deadlocked",
        4,
        rf"deadlock\w*\b{_NOT_END}{{0,80}}?\b{_ROWS}\b|\b{_ROWS}\b{_NOT_END}{{0,80}}?\bdeadlock",
    ),
    # storage maintenance: vacuum, bloat, dead tuples
    ("autovacuum", 4, r"autovacuum"),
    (
        "vacuum",
        4,
        rf"vacuum\s+(?:full|analy[sz]e|freeze|verbose)\b|vacuum\w*\b{_NOT_END}{{0,60}}?\b"
        rf"(?:tables?|bloat\w*|tuples?|postgres\w*|wraparound)\b|\b(?:tables?|postgres\w*)\b"
        rf"{_NOT_END}{{0,60}}?\bvacuum",
    ),
    (
        "bloat bloated tuples",
        4,
        r"(?:tables?|index(?:es)?)\s+(?:is\s+|are\s+|has\s+)?bloat|bloated\s+(?:tables?|"
        r"index(?:es)?)|dead\s+tuples?",
    ),
    # replication and logs of an SQL engine
    ("replication replica replicas", 4, r"(?:replication|replica)\s+lag|read\s+replicas?\b"),
    (
        "binlog binlogs wal",
        3,
        r"binlogs?\b|\bwal\s+(?:files?|segments?|archiv\w*|directory|level|replay|size)|"
        r"write[\s-]ahead\s+log",
    ),
    # query plans: scans, joins, the planner, EXPLAIN
    (
        "scan scans",
        4,
        r"(?:bitmap\s+(?:heap|index)|index[\s-]only|index|seq(?:uential)?|(?:full\s+)?table|"
        r"clustered\s+index)\s+scans?\b",
    ),
    ("join joins", 4, r"(?:hash|merge|nested[\s-]loops?|lateral)\s+joins?\b"),
    (
        "planner optimizer optimiser",
        4,
        rf"(?:query\s+)?(?:planner|optimi[sz]er)\b{_NOT_END}{{0,60}}?\b(?:index\w*|scans?|join\w*|"
        r"rows|statistics|estimates?)\b",
    ),
    ("explain", 4, r"explain\s+(?:output|analy[sz]e|shows)|output\s+of\s+explain\b"),
    (
        "execution",  # an execution plan of a query, not of a project or campaign
        4,
        rf"execution\s+plans?\b{_NOT_END}{{0,80}}?\b(?:index\w*|scans?|seeks?|quer(?:y|ies)|joins?|"
        r"rows|sql|ssms|costs?|operators?|estimat\w*|postgres\w*|mysql|oracle)\b|(?:quer(?:y|ies)|"
        r"sql|actual|estimated|graphical|ssms|statement'?s?)\s+execution\s+plans?",
    ),
    # isolation levels
    (
        "committed uncommitted repeatable snapshot serializable",
        4,
        r"read\s+(?:committed|uncommitted)|repeatable\s+read|snapshot\s+isolation|"
        r"serializable\s+(?:isolation|transactions?|level)",
    ),
    # SQL vocabulary the phrase lists lack
    (
        "having",
        4,
        r"where\s+(?:and|or|vs\.?|versus)\s+having|having\s+(?:and|or|vs\.?|versus)\s+where",
    ),
    ("union", 4, r"union\s+(?:and|or|vs\.?|versus)\s+union\s+all"),
    (
        "isnull ifnull nvl nvl2 nullif",
        4,
        rf"{_NULL_FN}\s*\(|coalesce\b{_NOT_END}{{0,40}}?\b{_NULL_FN}\b|"
        rf"{_NULL_FN}\b{_NOT_END}{{0,40}}?\bcoalesce",
    ),
    ("isnull ifnull nvl nvl2 nullif", 3, rf"{_NULL_FN}\b"),
    ("distinct", 3, r"count\s*\(?\s*distinct\b|select\s+distinct\b"),
    (
        "select",
        4,
        r"select\s+\*(?!\*)|(?:generat|produc|emit|runn?)\w*\s+"
        r"(?:an?\s+|the\s+|this\s+)?[\"'`]?select\b",
    ),
    (
        "transaction transactions",
        4,
        r"transactions?\s+(?:around|for|wrapping|with)\s+(?:\w+\s+){0,3}?(?:updates?|inserts?|"
        r"deletes?|statements|queries|writes)\b|(?:updates?|inserts?|deletes?|statements|"
        r"queries|writes)\s+(?:\w+\s+){0,2}?in\s+(?:a|one|the\s+same|a\s+single)\s+transaction\b",
    ),
    ("savepoint savepoints", 4, r"savepoints?\b"),
    (
        "schema schemas",
        3,
        rf"(?:compare|comparing|diff|sync|syncing|migrat\w*)\s+(?:the\s+|our\s+|two\s+)?(?:database\s+|db\s+)?"
        rf"schemas?\b{_NOT_END}{{0,50}}?\b(?:databases?|dbs?|tables?|prod|staging)\b",
    ),
    ("resultset result", 3, r"result\s?sets?\b"),
    ("cte ctes", 4, r"recursive\s+ctes?\b"),
    ("recursive", 4, r"recursive\s+quer(?:y|ies)\s+(?:to|that|for)\b"),
    ("group", 3, r"group\s+by\s+(?:\w+\s+){0,3}?(?:columns?|fields?)\b"),
    # "query" with a database or warehouse as its object; a query whose speed changed
    (
        "query queries",
        3,
        r"quer(?:y|ies)\s+(?:against|on|over|in)\s+(?:our|the|my|a|an)\s+(?:\w+\s+)?"
        r"(?:warehouse|database|db|tables?|schema)\b|(?:my|our|the|this)\s+(?:\w+\s+){0,2}?"
        r"quer(?:y|ies)\s+(?:went|got|became|takes|took|times\s+out|hangs)\b",
    ),
    (
        "query",
        3,
        r"(?:in|with|using)\s+(?:one|a\s+single|a|one\s+single)\s+(?:sql\s+)?query\b",
    ),
    # rows of a named table: "pull all rows from payments where ..."
    (
        "rows records",
        3,
        r"(?:rows|records)\s+(?:from|in|of)\s+(?:the\s+)?[a-z_]+\s+(?:where|whose|that|with)\b",
    ),
    # duplicates, hierarchies, table design, keyset pagination, upsert conflicts
    (
        "dedupe dedup deduplicate deduplicating same",
        4,
        r"(?:dedupe?|de-?duplicat\w*)\s+(?:the\s+|all\s+|my\s+|our\s+)?(?:rows|records|tables?)\b|"
        r"(?:rows|records)\s+(?:with|that\s+have)\s+the\s+same\b",
    ),
    ("relational", 4, r"relational\s+(?:db|dbs|databases?|tables?|design)\b"),
    ("sargable", 4, r"sargab"),
    (
        "many",
        4,
        r"many[\s-]to[\s-]many\s+(?:relation\w*|between|tables?|links?|associations?|joins?)\b",
    ),
    (
        "tables",
        4,
        rf"design\w*\s+(?:the\s+|my\s+|our\s+|a\s+)?(?:\w+\s+)?tables\b{_NOT_END}{{0,80}}?"
        r"\b(?:keys?|columns?|relations\w*|foreign|primary|normali\w*)\b",
    ),
    (
        "conflict violation",
        4,
        r"on\s+conflict\s+(?:do|\(|on\s+constraint)|unique[\s_]violation",
    ),
    (
        "offset keyset",
        4,
        r"without\s+(?:using\s+|an?\s+)?offset\b|offset\s+(?:pagination|is\s+slow|gets?\s+slow)|"
        r"keyset\s+pagination",
    ),
    # an engine by version: "after the upgrade to pg 15"
    ("pg", 2, r"(?:to|on|from|running|using)\s+pg\s?(?:9\.\d|1\d)\b"),
)
_CUES = tuple(
    (frozenset(words.split()), re.compile(pattern), points)
    for words, points, pattern in _CUE_SOURCES + SHAPE_CUES  # the sixth pass's: _sql_shapes
)
# The cues' trigger words that let a prompt past the gate (those rare outside databases; the
# others, "scan", "same", "explain"..., need a gate word such as "table" or "index" anyway,
# and letting them through would cost every prompt that holds them the whole rule pass).
CUE_GATE = frozenset(
    "deadlock deadlocks deadlocked autovacuum vacuum bloat bloated tuples replication replica "
    "replicas binlog binlogs planner bitmap isnull ifnull nvl nvl2 nullif resultset dedupe dedup "
    "deduplicate keyset uncommitted serializable repeatable union sargable savepoint "
    "savepoints selects nullable enforce enforcing enforced".split()
)


def cue_score(lower: str, words: frozenset[str]) -> int:
    """Points for the relational cues in the lower-cased request: their sum, at most 6 (0
    when none), so "our report query went from 2 to 40 min" and "after the upgrade to pg
    15" add up."""
    found = (p for need, rx, p in _CUES if not need.isdisjoint(words) and rx.search(lower))
    return min(6, sum(found) + 4 * orm_sql(lower, words))
