"""SQL detector: does answering this prompt mean writing, fixing, explaining or tuning SQL?

It weighs evidence instead of trusting one regex: an SQL statement (``SELECT ... FROM t``,
``INSERT INTO t``, ``CREATE TABLE t (``, ``JOIN t ON a = b``...) decides alone; otherwise
points for dialect names, a request verb before "query" or "SQL", SQL phrases ("left
join"), named tables ("the users table") and database nouns must outweigh look-alikes
(GraphQL, Elasticsearch, pandas, spreadsheets, search prompts, CVs).
``docs/detectors.md`` has the measured precision and recall.
"""

from __future__ import annotations

import functools
import re

from router._textscan import ASK_SPAN, anchor, at, before, has_word, positions, words_of, wordset

__all__ = ["detect_sql"]

# --- SQL: statements -------------------------------------------------------------------------
# An identifier, maybe qualified or quoted: users, dbo.users, "t1", `crm_account`, [x].
_ID = r"""[`"\[]?[a-z_#@][\w$]*[`"\]]?(?:\.[`"\[]?[\w$*]+[`"\]]?){0,2}"""
# English words that follow "from", "into", "update"... but never name a table.
_NOT_TABLE = (
    r"(?!(?:the|a|an|each|every|this|that|these|those|your|my|our|their|his|her|its|all|"
    r"any|some|one|two|which|what|where|here|there|it|them|me|us|you|of|to|for|in|on|at|"
    r"with|and|or|is|are|was|be|following|below|above|list|menu|scratch|home|now|time)\b)"
)
_JOIN = r"(?:(?:inner|left|right|full|cross|natural|outer)\s+)*join\b"
_STATEMENT_SOURCES = (  # each starts with its anchor; an upper-case one matches the original
    r"SELECT\s+(?:DISTINCT\s+|TOP\s+\d+\s+)?[^;]{1,500}?\bFROM\s+<ID_UP>",
    r"SELECT\s*\Z",  # a completion-style text-to-SQL prompt
    r"select\s+(?:distinct\s+)?(?:[^;?!.]|\.(?=\S)){1,300}?\bfrom\s+<T>(?:\s+(?:as\s+)?<NOT>\w+)?"
    r"\s*(?:$|;|\)|,|where\b|<JOIN>|group\s+by|order\s+by|limit\b|union\b|having\b)",
    r"insert\s+(?:ignore\s+)?into\s+<T>\s*(?:\([^()]{0,400}\)\s*)?(?:values\b|select\b|\(|"
    r"default\s+values)",
    r"update\s+<T>(?:\s+\w+)?\s+set\s+<ID>\s*=",
    r"delete\s+(?:\w+\s+)?from\s+<T>\s*(?:$|;|where\b|using\b)",
    r"create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|unlogged|external|global|local)\s+)*"
    r"table\s+(?:if\s+not\s+exists\s+)?<T>\s*(?:\(|as\s+select\b)",
    r"create\s+(?:unique\s+|clustered\s+|nonclustered\s+)*index\s+(?:\w+\s+)?on\s+<ID>\s*\(|"
    r"create\s+(?:or\s+replace\s+)?(?:materialized\s+)?view\s+<T>\s*(?:\([^()]{0,200}\)\s*)?as\b|"
    r"create\s+(?:or\s+(?:replace|alter)\s+)?(?:(?:procedure|proc)\s+<T>\s*(?:\(|@|as\b|begin\b|"
    r"$)|trigger\s+<ID>\s+(?:before|after|instead\s+of|on|for)\b)",
    r"alter\s+table\s+<T>\s+(?:add|drop|alter|modify|rename|change)\b",
    r"drop\s+(?:table|view|index|schema|database|procedure|function)\s+(?:if\s+exists\s+)?<T>"
    r"\s*(?:;|$|cascade\b|,)",
    r"with\s+(?:recursive\s+)?<ID>(?:\s*\([^()]{0,200}\))?\s+as\s*\(\s*select\b",
    r"join\s+<T>(?:\s+(?:as\s+)?\w+)?\s+on\s+\(?\s*<ID>\s*=\s*<ID>",
)
_PARTS = {
    "<T>": _NOT_TABLE + _ID,
    "<NOT>": _NOT_TABLE,
    "<ID>": _ID,
    "<JOIN>": _JOIN,
    "<ID_UP>": _ID.replace("a-z", "A-Za-z"),
    "<PLURAL>": r"[a-z]{2,}[a-hj-np-rtv-z]s",  # "users", "orders"; not "previous", "class"
    "<NAMED>": r"(?:[a-z]\w*_\w+|[`\"][^`\"\s]+[`\"])",  # snake_case or quoted
}


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` with its ``<PART>`` placeholders filled in."""
    return re.compile(functools.reduce(lambda s, k: s.replace(k, _PARTS[k]), _PARTS, pattern), re.M)


_STATEMENTS = tuple((anchor(s), _rx(s)) for s in _STATEMENT_SOURCES)
# Query languages whose statements look like SQL: they count only when SQL is named too.
_OTHER_QL = ("couchbase", "n1ql", "cosmos", "cypher", "neo4j", "sparql", "kusto", "soql")

# --- SQL: natural-language evidence ----------------------------------------------------------
_DIALECTS = wordset(
    "sql mysql mysqli postgres postgresql sqlite sqlite3 tsql t-sql plsql psql mssql "
    "hivesql sparksql mariadb bigquery snowflake redshift clickhouse duckdb trino teradata "
    "vertica databricks db2 cockroachdb daiquery"
)
_GATE = _DIALECTS | wordset(
    "query queries sqlquery select table tables database databases schema schemas join joins "
    "insert update delete column columns index indexes upsert cte ctes trigger triggers "
    "procedure procedures ddl oracle subquery subqueries"
)
_DB_NOUNS = wordset(
    "table tables column columns schema database databases row rows record records index "
    "indexes indices trigger constraint ddl"
)
_LOOKALIKE = wordset(
    "graphql gql elasticsearch opensearch es mongodb mongo mongoose couchbase n1ql cypher "
    "neo4j sparql dynamodb firestore firebase kql jquery pandas dataframe dataframes df "
    "pyspark excel spreadsheet spreadsheets dax vba django sqlalchemy prisma sequelize "
    "typeorm hibernate eloquent laravel resume cv"
)
_LOOKALIKE_PHRASES = tuple(
    "power query|power bi|google sheets|web search results|search quer|react-query|media quer|"
    "query string|query param|markdown table|table format|table of contents|in a table|"
    "entity framework|job description|years of experience".split("|")
)
_DDL_WORDS = ("primary key", "foreign key", "not null", "varchar(", "auto_increment")
_ORACLE = re.compile(r"oracle\s+(?:db|database|sql)\b")
_DIALECT_NOUN = re.compile(  # right after a dialect: "mysql database", "sql server table"
    r"(?:\s+server)?\s+(?:databases?|db|tables?|columns?|schemas?|instance|quer(?:y|ies)|"
    r"statements?|scripts?|code|views?|procedures?|triggers?|indexe?s?|syntax|dialect)\b"
)
_DB_ACTION = re.compile(  # right before a dialect: "export data from excel to"
    r"\b(?:load|import|export|insert|migrat\w*|copy|move|sync|dump|restore|back\s+up|backup|"
    r"ingest)\w*\b[^.?!\n]{0,60}\b(?:to|into|in|from)\s+(?:a\s+|an\s+|the\s+|my\s+)?\Z"
)
_QUERY_NOUNS = tuple(
    (n.split()[0], n)
    for n in "sql|sqlquery|query|queries|stored procedure|trigger|cte|upsert|ddl|schema".split("|")
)
_ASK_BEFORE = re.compile(  # right before a query noun: "write a", "fix this postgres"
    r"\b(?:write|give|generate|create|show|help|fix|optimi[sz]e|improve|rewrite|convert|"
    r"translate|debug|explain|make|build|craft|provide|refactor|modify|edit|correct|format|"
    r"comment|design|need|want|figure\s+out|speed\s+up|"
    r"(?:reply|respond|answer)(?:\s+only)?\s+with)\s+(?:me\s+|us\s+|out\s+|only\s+)?"
    r"(?:(?:a|an|the|this|that|these|my|our|some|following|below|above|single|simple|"
    r"efficient|optimi[sz]ed|valid|new|sample|example|complete|correct|\d+|one|two|three)"
    r"\s+){0,3}(?:[\w/.-]+\s+){0,2}\Z"
)
_QUERY_DOES = re.compile(  # "query that returns", "sql to find", "trigger that sets"
    r"(?:(?:sql\s?)?(?:query|queries|sql)|stored\s+procedures?|triggers?)\s+(?:(?:that|which|"
    r"to|for)\s+(?:\w+\s+){0,2}?)?(?:(?:return|find|list|count|select|show|fetch|insert|join|"
    r"group|filter|rank|pivot)(?:s|es|ing)?|get|gets|getting|sums?|summing|(?:calculat|comput|"
    r"retriev|delet|updat|aggregat|remov|archiv)(?:e|es|ing)|sets?|setting|logs?|logging|"
    r"classif(?:y|ies|ying)|identif(?:y|ies|ying))\b"
)
_JOIN_KIND = re.compile(r"\b(?:left|right|inner|outer|self|cross|full)\s+(?:outer\s+)?\Z")
_HIGHEST = re.compile(r"\b(?:second|third|nth|2nd|3rd)\s+\Z")
_AFTER_DATABASE = re.compile(
    r"databases?\s+(?:quer(?:y|ies)|schemas?|tables?|(?:is\s+|are\s+)?(?:called|named)\s+\S)"
)
_GRANT = re.compile(r"grant\s+(?:[\w-]+\s+){0,3}(?:access|privileges?|permissions?)\s+on\b")
_JOIN_TABLES = re.compile(
    r"join\w*\s+(?:these|the|two|three|my|both|multiple)?\s*(?:\w+\s+)?tables\b"
)
_TABLE_BEFORE = _rx(  # "from the users table", "of sub_category table"
    r"\b(?:from|in|into|on|of|to|for)\s+(?:(?:(?:the|my|our|a|an|your)\s+(?:<PLURAL>\s+)?)?"
    r"<NAMED>|(?:the|my|our|a|an|your)\s+<PLURAL>)\s+\Z"
)
_TABLE_AFTER = re.compile(  # "table called users", "tables orders(id, ...", "Table: Staff Columns:"
    r"tables?(?:\s+(?:is\s+|are\s+)?(?:called|named)\s+\S|:?\s+[`\"]?\w+[`\"]?\s*\(\s*\w+\s*"
    r"[,)]|:\s*\w+\s+columns?:)"
)


def _has_statement(text: str, lower: str, words: frozenset[str]) -> bool:
    return any(
        a.lower() in words and at(text if a.isupper() else lower, (a,), pattern)
        for a, pattern in _STATEMENTS
    )


def _dialect_score(s: str, words: frozenset[str]) -> int:
    """2 for a dialect name, +1 before a database noun, +2 after "export ... to"."""
    spans = [(i, i + len(w)) for w in words & _DIALECTS for i in positions(s, w, limit=4)]
    if "oracle" in words:
        spans += [(i, i + 6) for i in positions(s, "oracle", limit=4) if _ORACLE.match(s, i)]
    if not spans:
        return 0
    noun = any(_DIALECT_NOUN.match(s, end) for _, end in spans)
    action = any(_DB_ACTION.search(s, max(0, start - 90), start) for start, _ in spans)
    return 2 + noun + 2 * action


def _phrase_score(s: str, words: frozenset[str]) -> int:
    strong = (
        ("clause" in words and "where clause" in s)
        or ("statement" in words and "select statement" in s)
        or "subquer" in s
        or ("join" in words and before(s, "join", _JOIN_KIND, 20))
        or ("tables" in words and at(s, ("join",), _JOIN_TABLES))
    )
    phrase = (
        ("by" in words and ("group by" in s or "order by" in s))
        or ("upsert" in words and "upsert" in s)
        or ("cte" in words and has_word(s, "cte"))
        or ("window" in words and "window function" in s)
        or ("recursive" in words and ("recursive quer" in s or "recursive cte" in s))
        or ("highest" in words and before(s, "highest", _HIGHEST, 12))
        or ("database" in words and at(s, ("database",), _AFTER_DATABASE))
        or ("grant" in words and at(s, ("grant",), _GRANT))
    )
    return 4 * strong + 2 * phrase


def _nl_score(s: str, words: frozenset[str]) -> int:
    """Points for evidence in the lower-cased request text ``s`` (``words``: the prompt's)."""
    score = _dialect_score(s, words) + _phrase_score(s, words)
    doers = ("sql", "query", "queries", "stored", "trigger")
    if not words.isdisjoint(doers) and at(s, doers, _QUERY_DOES):
        score += 3
    nouns = [i for h, w in _QUERY_NOUNS if h in words for i in positions(s, w, limit=8)]
    if any(_ASK_BEFORE.search(s, max(0, i - 80), i) for i in nouns[:16]):
        score += 2
    if "table" in s and (before(s, "table", _TABLE_BEFORE) or at(s, ("table",), _TABLE_AFTER)):
        score += 3
    return score + (any(has_word(s, w) for w in words & _DB_NOUNS) or "primary key" in s)


def detect_sql(text: str) -> bool:
    """True when the answer to ``text`` is expected to write, fix, explain or tune SQL."""
    words = words_of(text)
    if words.isdisjoint(_GATE):
        return False
    if "\\" in text:  # ShareGPT-style markdown escapes: users\_id, SELECT \* FROM
        text = text.replace("\\_", "_").replace("\\*", "*")
    lower = text.lower()
    if _has_statement(text, lower, words):
        return "sql" in words or not any(q in lower for q in _OTHER_QL)
    ddl = any(w in lower for w in _DDL_WORDS)
    if len(lower) > 2 * ASK_SPAN:
        lower = lower[:ASK_SPAN] + "\n" + lower[-ASK_SPAN:]
    needed = 4 if len(text) <= 1000 else 5  # long prompts mention databases in passing
    score = ddl + _nl_score(lower, words)
    if score < needed:
        return False
    lookalike = any(has_word(lower, w) for w in words & _LOOKALIKE) or any(
        p in lower for p in _LOOKALIKE_PHRASES
    )
    return score - 3 * lookalike >= needed
