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

__all__ = ["GATE_LOWER", "GATE_UPPER", "IDIOMS", "idiom", "other_task", "task_kind"]

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
    # database error messages (router._sql_vocab.ERROR_PHRASES)
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
)


def idiom(lower: str) -> bool:
    """An SQL problem idiom (``IDIOMS``) in the lower-cased request."""
    return any(i in lower for i in IDIOMS)


# A task at the start of the request (or of its second line, after a greeting). "text":
# work on prose (summarise, proofread, a post or an email about it); "rewrite": rewrite or
# translate, whose object may be SQL ("rewrite this:" before a query).
_TASK = re.compile(
    r"(?:please\s+|can\s+you\s+|could\s+you\s+|pls\s+|help\s+me\s+)?(?:"
    r"(?P<rewrite>translate|rewrite|convert)|summari[sz]e|proof-?read|paraphrase|rephrase|"
    r"reword|classify|categori[sz]e|sort\s+these|extract\s+(?:the\s+)?(?:action\s+items|key\s+"
    r"points)|turn\s+(?:these|this|the|my)\s+(?:\w+\s+)?(?:notes|text|paragraph|email)|"
    r"make\s+(?:this|it)\s+(?:sound|more)|correct\s+(?:the\s+)?grammar|"
    r"(?:write|draft|compose|create)\s+(?:me\s+)?(?:a|an)\s+(?:\w+\s+)?(?:post|poem|story|song|"
    r"tweet|bio|speech|essay|cover\s+letter|email|letter|press\s+release|haiku|limerick|"
    r"announcement|newsletter)|explain\s+in\s+simple\s+(?:words|terms)\s+what\s+this\s+"
    r"(?:readme|text|paragraph|document|email|article))\b"
)
# Code in another tool built from an SQL schema ("Create symfony repository based on this
# sql", "generate TypeScript types from these tables"): the DDL is the material.
_CODE_FROM_SQL = re.compile(
    r"(?:please\s+|can\s+you\s+)?(?:create|generate|write|build|make|implement)\s+(?:me\s+)?"
    r"(?:an?\s+|the\s+)?(?:[\w\"'#+.-]+\s+){0,6}?(?:repository|repositories|entity|entities|"
    r"class|classes|dto|dtos|api|endpoints?|controller|form|component|command|mapping|struct|"
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
        if _CODE_FROM_SQL.match(head):
            return "code"
        m = _TASK.match(head)
        if m is None:
            continue
        obj = re.split(r"[:\n]", head[m.end() : m.end() + _OBJECT_SPAN], maxsplit=1)[0]
        if _SQL_OBJECT.search(head[: m.end()] + obj):
            return None
        if m.group("rewrite") and not _HUMAN_LANGUAGE.search(obj):
            return "rewrite"
        return "text"
    return None


def other_task(lower: str) -> bool:
    """The lower-cased request opens with a task whose object is not SQL."""
    return task_kind(lower) is not None
