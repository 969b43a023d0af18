"""A long paste whose SQL is material for another task (eleventh pass).

Real chat traffic pastes whole files, logs and tickets: "Add structured logging to every
route. Don't change the queries." above a Flask app, or "Write a Python script that counts
the ERROR lines per hour" below a PostgreSQL log. The queries and the database errors in
such a paste are material; the task is the instruction around it (README rule: prompts
that quote SQL are judged by the task). :func:`paste_task` reads that instruction: the
prose paragraphs at the head and the tail of a paste of ten or more lines that ask for
something (a task verb or a question). The paste is material when an instruction names a
task with an object ("add logging", "write pytest tests", "port this handler to Gin") and
no instruction names SQL work (a query, the database, an index, rows, slowness...) once
phrases that keep the SQL out ("don't touch the queries", "leave the SQL alone") are
removed. A terse "fix" or "what's wrong?" names no task object, so the paste stays SQL.
"""

from __future__ import annotations

import re

__all__ = ["paste_task"]

_MIN_LINES = 10
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_CODE_START = re.compile(
    r"(?:#!|//|/\*|<|[{}\[\]@$]|--|(?:import|from|package|def|class|public|private|use|func|"
    r"fn|const|let|var|select|create|insert|update|delete|with)\b)",
    re.IGNORECASE,
)
_SYMBOLS = tuple("{}();=<>[]$\\`|")
# Phrases that keep the SQL out of the task: removed before looking for SQL work.
_KEEP_OUT = re.compile(
    r"\b(?:leave|keep)\s+(?:the\s+|all\s+)?(?:sql|quer(?:y|ies)|stored\s+procedures?|"
    r"procedures?|schema|database)\s+(?:exactly\s+|just\s+)?(?:alone|as\s+(?:it\s+is|they\s+"
    r"are|is)|unchanged)\b|"
    r"\b(?:don'?t|do\s+not)\s+want\s+to\s+change\s+how\s+the\s+(?:db|database)\s+\w+\s+is\b|"
    r"\b(?:don'?t|do\s+not|without|no\s+need\s+to)\s+(?:change|changing|touch|touching|modify|"
    r"modifying|edit|editing)\s+(?:the\s+|any\s+|my\s+)?(?:sql|quer(?:y|ies)|stored\s+"
    r"procedures?|schema|database)\b|\bquer(?:y|ies)\s+(?:are|is)\s+being\s+\w+|"
    r"\bwithout\s+(?:going\s+into|explaining|covering)\s+the\s+(?:database|sql|queries)"
    r"(?:\s+details)?\b|\bthe\s+(?:db|database)\s+is\s+(?:managed|handled|hosted)\s+elsewhere\b|"
    r"\bno\s+(?:real\s+)?database\s+(?:is\s+)?needed\b|\bwithout\s+a\s+(?:real\s+)?database\b"
)
# SQL work named by the instruction (after _KEEP_OUT): then the paste's SQL is the task.
_SQL_WORK = re.compile(
    r"\b(?:sql|quer(?:y|ies)|(?:databases?|db)(?!\s+files?\b)|(?:database|db|sql|relational)\s+schemas?|"
    r"normali[sz]\w*|index(?:es)?|indices|joins?|select|insert|constraints?|stored\s+"
    r"procedures?|procedures?|triggers?|transactions?|deadlocks?|migrations?|n\+1|"
    r"duplicates?|double[\s-]count\w*|slow\w*|faster|performance|optimi[sz]\w*|explain\s+"
    r"(?:analy[sz]e|plan|output)|postgres\w*|mysql|sqlite|oracle|mariadb|redshift|bigquery|"
    r"snowflake)\b|\b(?:the|this|that|these|those|our|my)\s+(?:\w+\s+)?tables?\b(?!\s+of)"
)
# A task with an object: "add structured logging", "write pytest tests", "how do I fix
# this CORS error" (not "fix", "fix it", "what's wrong with this?").
_TASK = re.compile(
    r"(?:^|[.!?:;]\s+|\n)(?:please\s+|now\s+|just\s+|also\s+|can\s+you\s+|could\s+you\s+|"
    r"how\s+(?:do|can|should)\s+i\s+)?(?:write|add|convert|refactor|replace|make|fix|turn|"
    r"create|generate|implement|port|rename|document|summari[sz]e|translate|plot|build|"
    r"change|move|split|wrap|draft|dockeri[sz]e|containeri[sz]e|explain|rewrite|find\s+(?:the\s+)?"
    r"(?:bug|bugs|error|issue|problem|typo|leak)|"
    r"migrate|set\s+up)\s+(?!(?:it|this|that|them|these|those)(?:\s+(?:properly|please|now|"
    r"again|up|for\s+me|asap|quickly))?\s*(?:[.!?,;]|$))\w",
    re.IGNORECASE,
)


# A format directive, not a task: "Please write in English language." (ShareGPT prompts end
# with it), "answer in French".
_DIRECTIVE = re.compile(
    r"(?:please\s+)?(?:write|answer|respond|reply|output)\s+(?:only\s+)?in\s+(?:the\s+)?"
    r"[\w-]+(?:\s+language)?\s*[.!]?",
    re.IGNORECASE,
)


def _prose(paragraph: str) -> bool:
    """A paragraph of prose, not code or a log: four or more words, few code symbols, no
    line that opens like code or is indented."""
    lines = [ln for ln in paragraph.splitlines() if ln.strip()]
    if not lines or len(paragraph.split()) < 4:
        return False
    if any(ln[:1] in (" ", "\t") or _CODE_START.match(ln.lstrip()) for ln in lines):
        return False
    symbols = sum(map(paragraph.count, _SYMBOLS))
    return symbols <= max(2, len(paragraph) // 40) and not any(ch.isdigit() for ch in lines[0][:4])


# A line of SQL: it opens with a clause keyword, or is a column definition ("  id INT,").
_SQL_LINE = re.compile(
    r"\s*(?:(?:select|from|where|join|left|right|inner|outer|cross|full|group|order|having|"
    r"limit|union|with|create|alter|drop|insert|into|values|update|set|delete|and|or|on|case|"
    r"when|else|end|begin|declare|exec|execute|returns|primary|foreign|constraint|grant|"
    r"truncate|merge|using|over|partition|commit|rollback)\b|--|\)|\w+\s+(?:int|integer|"
    r"bigint|smallint|text|varchar|char|date|datetime|timestamp\w*|numeric|decimal|bool\w*|"
    r"serial|bigserial|float|double|real|uuid|jsonb?)\b)",
    re.IGNORECASE,
)


def _mostly_sql(paragraphs: list[str]) -> bool:
    """The pasted lines (those of the paragraphs that are not prose, at most 40) are mostly
    SQL: the paste is a query or a schema, so any task on it ("explain what this does",
    "tidy this up") is SQL work."""
    lines = [ln for p in paragraphs if not _prose(p) for ln in p.splitlines() if ln.strip()]
    lines = lines[:20] + lines[-20:] if len(lines) > 40 else lines
    return bool(lines) and 2 * sum(bool(_SQL_LINE.match(ln)) for ln in lines) >= len(lines)


def paste_task(text: str) -> bool:
    """``text`` is a paste of ten or more lines whose instruction asks for a task that is not
    SQL work: its SQL, its queries and its database errors are material."""
    if text.count("\n") + 1 < _MIN_LINES:
        return False
    paragraphs = [p.strip() for p in _PARAGRAPH.split(text.strip())]
    ends = [paragraphs[0][:500]] + ([paragraphs[-1][-500:]] if len(paragraphs) > 1 else [])
    prose = [p for p in ends if _prose(p) and not _DIRECTIVE.fullmatch(p)]
    if not any(_TASK.search(p) for p in prose):
        return False
    # "Given the database schema below, answer the question." + "Question: ...": any prose
    # at either end that names SQL work keeps the paste SQL
    if any(_SQL_WORK.search(_KEEP_OUT.sub(" ", p.lower())) for p in prose):
        return False
    return not _mostly_sql(paragraphs)
