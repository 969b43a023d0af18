"""Shapes of an SQL request that name no SQL word (``router._sql`` and ``router._sql_task``
use them): the SQL an ORM emits ("the select sqlalchemy emits for my relationship", "rails
does 200 selects per request"), a table written in relation notation ("Orders(order_id,
customer_name, total)"), and tabular analytics beside a relational cue ("average order value
per store, from the orders table"; the high-recall mode only).
"""

from __future__ import annotations

import re

__all__ = [
    "SHAPE_CUES",
    "analytics",
    "bare_analytics",
    "no_sql",
    "orm_sql",
    "relation_signature",
]

# The SQL an ORM emits (sixth pass): read beside an ORM's name, it lifts the ORM look-alike
# penalty (``router._sql._lookalike``) and counts as a relational cue of 4 points
# (``router._sql_task.cue_score``), searched only with an ORM word and a query word.
ORM_TRIGGERS = (
    "django sqlalchemy prisma sequelize typeorm hibernate eloquent laravel rails activerecord "
    "queryset querysets orm doctrine jpa gorm"
)
_ORM_NOUN = r"(?:quer(?:y|ies)|selects?|sql|(?:left\s+(?:outer\s+)?)?joins?)\b"
ORM_SQL = (
    r"\d+\s+(?:quer(?:y|ies)|selects|sql\s+statements)\b|"
    r"\b(?:emit\w*|generat\w*|produc\w*|issu(?:e|es|ed|ing)|fir(?:e|es|ed|ing)|execut\w*|"
    r"batch\w*)\s+(?:[\w-]+\s+){0,3}?"
    + _ORM_NOUN
    + r"|\b(?:quer(?:y|ies)|selects?|sql|joins?)\s+(?:[\w-]+\s+){0,2}?(?:will\s+|actually\s+)?"
    r"(?:emits?|emitted|generates?|generated|produces?|issues?|fires?|runs?|executes?)\b|"
    r"\b(?:raw|exact|underlying|actual|generated)\s+(?:sql|quer(?:y|ies)|selects?)\b"
)
_ORM_SQL = re.compile(ORM_SQL)
_WRITES = r"(?:inserts?|updates?|writes?|deletes?)"
# Relational cues of the sixth pass (and of the tenth, thirteenth and fifteenth: relational
# design in prose, one table or two, row locks), (trigger words, points, pattern), added to
# ``router._sql_task``'s: each runs only when a trigger word is in the prompt.
SHAPE_CUES: tuple[tuple[str, int, str], ...] = (
    # one table or two (thirteenth pass): "should vendors and trucks be one table or two?"
    (
        "table tables",
        4,
        r"\b(?:one|a\s+single|same|separate|two)\s+tables?\s+or\s+(?:two|separate|one|a\s+single)"
        r"\b|\bseparate\s+tables\s+for\b",
    ),
    # relational design asked in prose (tenth pass): "design tables for a ski school",
    # "what tables would you create", "tables and relationships please"
    (
        "design designing tables",
        4,
        r"design\w*\s+(?:the\s+|a\s+|my\s+|our\s+)?(?:relational\s+)?(?:tables|database|db|"
        r"schema)\s+(?:for|of)\b|\b(?:what|which)\s+tables\s+(?:would|should|do|must)\s+"
        r"(?:you|i|we)\s+(?:create|need|make|use|have)\b|\btables\s+(?:and|with\s+their)\s+"
        r"(?:keys|relationships|relations)\b",
    ),
    # row locks (fifteenth pass): "both do select ... for update on the same row"
    (
        "update",
        4,
        r"select\b[^.?!\n]{0,40}?\bfor\s+update\b|\bfor\s+update\s+(?:skip\s+locked|nowait)\b",
    ),
    # DML/DDL commands compared in prose: "truncate vs delete", "can I rollback a truncate"
    (
        "truncate truncating",
        4,
        r"\btruncat\w*\b[^.?!\n]{0,40}\b(?:delete|drop|rollback|identity|where)\b|"
        r"\b(?:delete|drop|rollback)\b[^.?!\n]{0,40}\btruncate\b",
    ),
    # what an index costs or where it goes: "an index makes inserts slower", "index a boolean
    # column", "added three indexes to the orders table" (each pattern opens with a literal,
    # which the regex engine scans for: these trigger words are common)
    (
        "index indexes indices",
        4,
        r"ind(?:ex|exes|ices)\b[^.?!\n]{0,40}?\b(?:slow\w*|cost\w*|hurt\w*)\s+(?:\w+\s+){0,2}?"
        + _WRITES
        + r"\b|index(?:es)?\s+(?:on\s+)?(?:an?|the|my|our)\s+(?:[\w-]+\s+){0,2}?"
        r"(?:column|field)s?\b|indexes\s+to\s+(?:the|our|my)\s+\w+\s+table\b",
    ),
    # NULL semantics: "NOT IN with nullable columns", "null = null"; "count(col) vs count(*)"
    (
        "null nulls nullable",
        4,
        r"not\s+in\b[^?!\n]{0,60}\bnull|null\w*\b[^?!\n]{0,60}\bnot\s+in\b|null\s*=\s*null\b",
    ),
    ("count", 4, r"count\s*\(\s*\w+\s*\)\s+(?:vs\.?|versus|or)\s+count\s*\("),
    # several values in one column: "comma separated tags in one column", "a delimited column"
    (
        "comma delimited separated",
        4,
        r"\b(?:comma[- ]separated|delimited)\s+(?:[\w-]+\s+){0,3}?(?:in\s+(?:one|a|the\s+same|a\s+"
        r"single)\s+column|column|in\s+the\s+\w+\s+table)\b",
    ),
    # a business rule enforced by the schema: "enforce at the database level that ...",
    # "enforce in the schema that end_date is after start_date" (not "in a json schema")
    (
        "enforce enforcing enforced",
        4,
        r"enforc\w*\b[^.?!\n]{0,80}?\b(?:in|at|on|by)\s+the\s+(?:schema|database|db|table)"
        r"(?:\s+level)?\b|enforc\w*\s+(?:a\s+|the\s+)?(?:unique\s+constraint|foreign\s+keys?|"
        r"check\s+constraint|referential\s+integrity)\b",
    ),
    # history rows: "query the price on any date" beside a history or versioning word
    (
        "history historical versioning",
        3,
        r"any\s+(?:past\s+|given\s+)?(?:date|day|point\s+in\s+time)\b",
    ),
)
# SQL excluded outright: "dataframe api only, no spark sql", "not sql", "without sqldf"
# (matched on the few characters before each "sql")
_NO_SQL = re.compile(
    r"\b(?:(?:no|not|without)\s+(?:a\s+)?(?:re)?writ\w*\s+(?:it\s+)?(?:in|into|as|to)|"
    r"no|not|without(?:\s+using)?|instead\s+of|(?:bans?|forbids?|prohibits?|disallows?)"
    r"(?:\s+(?:using|writing|raw))?|(?:don'?t|do\s+not|rather\s+not|avoid)\s+"
    r"(?:want\s+to\s+|wanna\s+)?(?:switch(?:ing)?\s+to|us(?:e|ing)|go(?:ing)?\s+to|"
    r"mov(?:e|ing)\s+to|writ(?:e|ing)))\s+(?:spark[\s.]\s*|raw\s+)?\Z"
)


def no_sql(lower: str, words: frozenset[str]) -> bool:
    """The request says it wants no SQL ("window api, no spark sql please")."""
    if "sql" not in words and "sqldf" not in words:
        return False
    at = lower.find("sql")
    for _ in range(4):
        if at < 0:
            return False
        end = at + 3 + lower.startswith("df", at + 3) * 2
        if _NO_SQL.search(lower, max(0, at - 40), at) and not lower[end : end + 1].isalnum():
            return not lower.startswith(" server", end)
        at = lower.find("sql", at + 3)
    return False


_ORM_TRIGGER_WORDS = frozenset(ORM_TRIGGERS.split())
_ORM_NOUNS = frozenset("query queries select selects sql join joins".split())


def orm_sql(lower: str, words: frozenset[str]) -> bool:
    """The request is about the SQL an ORM emits ("sqlalchemy: the select it emits for my
    relationship", "rails does 200 selects per request"): SQL, not ORM code."""
    return (
        not words.isdisjoint(_ORM_TRIGGER_WORDS)
        and not words.isdisjoint(_ORM_NOUNS)
        and _ORM_SQL.search(lower) is not None
    )


# --- Tabular analytics with a relational cue (the high-recall mode only) -----------------
# "top 5 products by revenue in each category", "median response time per endpoint",
# "month over month growth": questions people ask of a database, a spreadsheet or a
# dataframe alike. With a relational cue (a table, rows, columns, "in our db/warehouse")
# and no look-alike tool they are SQL requests often enough for a safety rule.
_AGGREGATE = (
    r"(?:total|sum|count|number|average|avg|mean|median|max|maximum|min|minimum|latest|"
    r"most\s+recent|newest|oldest|first|last|top|bottom|rank|ranking|percent|percentage|share|"
    r"ratio|rate|growth|revenue|sales|distinct|duplicates?)"
)
_GROUPING = (
    r"(?:per|for\s+(?:each|every)|in\s+(?:each|every)|of\s+each|within\s+(?:each|their|its|his|her)|"
    r"by\s+(?:day|week|month|year|hour|quarter|region|country|category|customer|user|"
    r"department|store|product|team|account|date))\b"
)
_ANALYTICS = re.compile(
    rf"\b{_AGGREGATE}\b[^.?!\n]{{0,60}}?\b{_GROUPING}|"
    r"\b(?:month|year|week|day)[\s-]over[\s-](?:month|year|week|day)\b|"
    r"\brunning\s+(?:total|balance|sum|count)\b|\bcumulative\s+(?:sum|total|count)\b|"
    r"\b(?:find|list|get|show|select|count|return|all)\s+(?:the\s+|of\s+)?[a-z]+s\s+(?:who|that|which)"
    r"\s+(?:have\s+|has\s+|had\s+)?(?:never|not\s+yet|did\s+not|didn'?t|haven'?t|hasn'?t)\b|"
    r"\b(?:more|fewer|less)\s+than\s+\d+\s+[a-z]+|\bcame\s+back\s+within\b"
)
_RELATIONAL = frozenset(
    "table tables db database databases warehouse schema dwh sql query queries".split()
)
# Where the data sits: "from our orders table", "in the db", "a logins table", "products and
# order_items tables", "table is events(...)", SQL named, "a query to", "in one query" (not
# "this table", "a table of").
_DB_PLACE = re.compile(
    r"\b(?:from|in|into|on|of|against)\s+(?:the|our|my|a|an)\s+(?:[a-z_]+\s+)?(?:db|database|"
    r"data\s+warehouse|warehouse|schema)\b|\b(?:the|a|an|our|my|from|in|of)\s+(?:[a-z]+_[a-z_]+|"
    r"[a-z]{2,}s)\s+tables?\b|\b[a-z_]+\s+and\s+[a-z_]+\s+tables\b|\btables?\s+(?:is|are|called|"
    r"named)\s+[a-z_]+|\bsql\b|\b(?:a|one|single|sql)\s+quer(?:y|ies)\s+(?:to|that|for)\b|"
    r"\bin\s+(?:one|a\s+single|a)\s+query\b"
    # a table the user has: "i have table of student and marks", "we have a sales table with"
    r"|\b(?:i|we)(?:'ve|\s+have)?\s+(?:have|got|keep)\s+(?:a\s+|an\s+|one\s+)?(?:[a-z_]+\s+)?tables?\s+"
    r"(?:of|with|for|called|named|that|where)\b"
)


# A table in relation notation (sixth pass): "Orders(order_id, customer_name, total)",
# "from shipments (id, carrier, shipped_at)": a name, then three or more bare column names,
# one of them a key (id, *_id). Not a function call: the name is capitalised or a plural, and
# a prompt about code (a function, a traceback, Python) is left out.
_SIGNATURE = re.compile(
    r"(?:^|(?<=[\s:;,(]))([a-z][a-z0-9_]*)\s?\(\s*(?:[a-z_][a-z0-9_]*\s*,\s*){2,}"
    r"[a-z_][a-z0-9_]*\s*\)",
    re.M,
)
_KEY_COLUMN = re.compile(r"[(,]\s*(?:id|[a-z0-9_]+_id)\s*[,)]")
_CODE_WORDS = frozenset(
    "python function functions def traceback typeerror exception method methods argument "
    "arguments args params parameters javascript js java matplotlib lambda call calls".split()
)


# The same beside a foreign word for table or query (tenth pass): "tabelle soci(id, nome)",
# "notlar(ogrenci_id, ders) tablolarim": any name, two or more columns.
_SIGNATURE_2 = re.compile(
    r"(?:^|(?<=[\s:;,(]))([a-z][a-z0-9_]*)\s?\(\s*(?:[a-z_][a-z0-9_]*\s*,\s*)+"
    r"[a-z_][a-z0-9_]*\s*\)",
    re.M,
)
# The same in any script, for a foreign request ("Ремонт(номер, мастер, модель)").
_SIGNATURE_ANY = re.compile(r"(?:^|(?<=[\s:;,(]))(\w+)\s?\(\s*(?:\w+\s*,\s*)+\w+\s*\)", re.M)


def relation_signature(
    text: str, lower: str, words: frozenset[str], named_table: bool = False
) -> bool:
    """A table written as ``name(id, col, col)`` in ``text`` (``lower``: its lower case);
    callers look only when "(" is there, and only texts with a key column ("id", "_id")
    are searched. ``named_table``: a foreign word for table or query is there, so any name
    with two columns one of them a key ("soci(id, nome)"), or with three columns, counts."""
    keyless = not named_table and "id" not in words and "_id" not in lower
    if len(text) > 1000 or keyless or len(lower) != len(text):
        return False  # short prompts only: a long one shows its schema in other ways
    if not words.isdisjoint(_CODE_WORDS):
        return False
    for m in (_SIGNATURE_ANY if named_table else _SIGNATURE).finditer(lower):
        name = m.group(1)
        plural = text[m.start(1)].isupper() or name.endswith("s")
        keyed = _KEY_COLUMN.search(m.group()) or (named_table and m.group().count(",") >= 2)
        if (named_table or plural) and keyed:
            return True
    # two tables of two columns each, keyed and plural (fifteenth pass): "bouts(id,
    # played_on), lineups(bout_id, skater_id)"
    pairs = (m for m in _SIGNATURE_2.finditer(lower) if _KEY_COLUMN.search(m.group()))
    return sum(1 for m in pairs if m.group(1).endswith("s") or text[m.start(1)].isupper()) >= 2


# Two tables joined on the latest row: "join customers to their most recent order"
_JOIN_LATEST = re.compile(
    r"\bjoin\s+(?:each\s+|every\s+)?[a-z_]+\s+(?:to|with)\s+(?:the|their|its|his|her|that)\s+"
    r"(?:latest|most\s+recent|newest|last|first|earliest|oldest)\b"
)


def analytics(lower: str, words: frozenset[str], schema: bool = False) -> bool:
    """A tabular-analytics request ("average order value per store", "running balance")
    beside a relational word (a table, rows, a column, the db) or a table in relation
    notation (``schema``): SQL in the high-recall mode. The caller keeps look-alike tools
    (pandas, Excel, MongoDB...) out."""
    if "join" in words and _JOIN_LATEST.search(lower):
        return True
    if not schema and (words.isdisjoint(_RELATIONAL) or _DB_PLACE.search(lower) is None):
        return False
    return _ANALYTICS.search(lower) is not None


# Bare analytics (sixth pass): a short request for an aggregate over business records with
# no SQL word and no tool ("how do I get the running total of sales per day", "rank each
# student within their class"). The high-recall mode counts it; a conversation or system
# prompt about a look-alike tool (pandas, MongoDB, a sheet) keeps it out
# (``router._conversation``), and numbers in the prompt ("north 10, south 20") do too.
BARE_SPAN = 200  # characters: longer requests say where their data sits
_RECORDS = frozenset(
    "orders order customers customer sales employees employee departments department students "
    "student products product users user transactions invoices payments tickets subscriptions "
    "signups purchases".split()
)
_ASKS = re.compile(
    r"\b(?:how\s+(?:do|can|would|should)\s+i\s+(?:get|find|list|count|calculate|compute|show|"
    r"pull|rank|write)|i\s+need\s+(?:the|to\s+get))\b|^(?:get|find|list|count|calculate|"
    r"compute|show|pull|rank)\b"
)
_NUMBERS = re.compile(r"\d[\d.,]*\s*(?:,|;|\n)\s*\w*\s*\d|[:=]\s*\d")
_PLANS = frozenset("plan should expect estimate typical typically".split())


def bare_analytics(lower: str, words: frozenset[str]) -> bool:
    """A short aggregate request over business records with no SQL word (see above)."""
    if len(lower) > BARE_SPAN or words.isdisjoint(_RECORDS) or not words.isdisjoint(_PLANS):
        return False
    if _ASKS.search(lower) is None or _NUMBERS.search(lower):
        return False
    return _ANALYTICS.search(lower) is not None
