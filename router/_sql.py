"""SQL detector: does answering this prompt mean writing, fixing, explaining or tuning SQL?

It weighs evidence instead of trusting one regex: an SQL statement (``SELECT ... FROM t``,
``INSERT INTO t``, ``CREATE TABLE t (``, ``JOIN t ON a = b``...) or a database error message
(``SQLSTATE``, ``ORA-00942``, "must appear in the GROUP BY clause") decides alone; otherwise
points for engine names, SQL vocabulary in prose ("left join", "window function", "GROUP
BY"), a request verb before "query" or "SQL", named tables ("the users table") and database
nouns are weighed against look-alikes (GraphQL, Elasticsearch, MongoDB, pandas,
spreadsheets, ORMs without SQL, search prompts, CVs), and a small learned scorer
(``router._sql_model``) turns these points and the prompt's words into the verdict.
``detect_sql(text, recall=True)`` is the high-recall mode a safety rule can ask for.
``router._sql_context`` builds on it for the conversation-level scan
(``router._conversation``): a system prompt or an earlier turn.
``docs/detectors.md`` has the measured precision and recall.
"""

from __future__ import annotations

import functools
import re

from router import _sql_context_vocab as cv
from router import _sql_errors as errors
from router import _sql_lookalikes as lk
from router import _sql_model
from router import _sql_vocab as v
from router._sql_foreign import FOREIGN_WORDS, db_request, has_stem, spaced_cjk, to_english
from router._sql_paste import paste_task
from router._sql_shapes import analytics, bare_analytics, no_sql, orm_sql, relation_signature
from router._sql_task import GATE_LOWER, GATE_UPPER, IDIOMS, cue_score, task_kind
from router._textscan import (
    ASK_SPAN,
    Needles,
    anchor,
    at,
    before,
    detector_view,
    has_word,
    keyed,
    positions,
    start_key,
    word_starts,
    word_view,
    words_of,
)

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
    r"select\s+(?:distinct\s+)?(?:[^;?!.]|\.(?=\S)|\.\.\.){1,300}?\bfrom\s+<T>(?:\s+(?:as\s+)?<NOT>\w+)?"
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
    # "users", "orders"; not "previous", "class", nor plurals that name a table in a text
    "<PLURAL>": r"(?!(?:results|contents|times|findings|statistics|values|options|details)\b)"
    r"[a-z]{2,}[a-hj-np-rtv-z]s",
    "<NAMED>": r"(?:[a-z]\w*_\w+|[`\"][^`\"\s]+[`\"])",  # snake_case or quoted
}


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` with its ``<PART>`` placeholders filled in."""
    return re.compile(functools.reduce(lambda s, k: s.replace(k, _PARTS[k]), _PARTS, pattern), re.M)


# (anchor, the word that must be in the prompt, whether to match the original case, pattern)
_STATEMENTS = tuple(
    (a, a.lower(), a.isupper(), _rx(s)) for a, s in ((anchor(s), s) for s in _STATEMENT_SOURCES)
)
# The vocabulary's phrase lists, searched where a word starts (``Needles``: a set
# intersection with the text's word starts instead of one ``in`` per phrase).
_ERROR_MARKERS = Needles(errors.ERROR_MARKERS)
_UPPER_PHRASES = Needles(v.UPPER_PHRASES)
_CAREER_PHRASES = Needles(v.CAREER_PHRASES)
_LOOKALIKE_PHRASES = Needles(v.LOOKALIKE_PHRASES)
_IDIOMS = Needles(IDIOMS)
_GATE_UPPER = Needles(GATE_UPPER)
_GATE_LOWER = Needles(GATE_LOWER)
_DDL = Needles(("primary key", "foreign key", "varchar(", "auto_increment"))
_TABLE_BEFORE = _rx(v.TABLE_BEFORE_SOURCE)


def _has_statement(text: str, lower: str, words: frozenset[str]) -> bool:
    return any(
        key in words and at(text if upper else lower, (a,), pattern)
        for a, key, upper, pattern in _STATEMENTS
    )


class _Anchors:
    """A group of phrase anchors indexed by the words their phrases need
    (``ANCHOR_REQUIRES``) and by their :func:`start_key`, so a prompt's candidates come from
    set intersections with its words and its word starts instead of a loop over every
    anchor (speed only: the anchors left are the ones whose phrase can match)."""

    def __init__(self, anchors: tuple[str, ...]) -> None:
        needs = v.ANCHOR_REQUIRES
        self.always: list[str] = []  # needs no word and has no start key
        self.by_start: dict[str, list[str]] = {}  # needs no word: by start key
        self.by_word: dict[str, list[str]] = {}  # needs one of some words
        self.start = {a: start_key(a) for a in anchors}
        for a in dict.fromkeys(anchors):
            key = self.start[a]
            if a in needs:
                for w in needs[a]:
                    self.by_word.setdefault(w, []).append(a)
            elif key is None:
                self.always.append(a)
            else:
                self.by_start.setdefault(key, []).append(a)
        self.keys = frozenset(self.by_word)
        self.starts = frozenset(self.by_start)

    def candidates(self, words: frozenset[str], starts: frozenset[str]) -> list[str]:
        """The anchors whose phrase can match a prompt with ``words`` and ``starts``."""
        left = self.always.copy()
        for k in self.starts & starts:
            left += self.by_start[k]
        for w in self.keys & words:
            left += (a for a in self.by_word[w] if not self.start[a] or self.start[a] in starts)
        return left


def _at(s: str, words: frozenset[str], group: _Anchors, pattern: re.Pattern[str]) -> bool:
    """``at``, skipping common-word anchors whose phrase needs a word the prompt lacks and
    anchors that start no word of ``s`` (speed only: the same result)."""
    return at(s, group.candidates(words, word_starts(s)), pattern)


_ERRORS = _Anchors(errors.ERROR_ANCHORS)
_PHRASES = (
    (4, _Anchors(v.PHRASE_ANCHORS_4), v.PHRASES_4),
    (3, _Anchors(v.PHRASE_ANCHORS_3), v.PHRASES_3),
    (2, _Anchors(v.PHRASE_ANCHORS_2), v.PHRASES_2),
)


def _has_error(lower: str, words: frozenset[str]) -> bool:
    """A database error message: SQLSTATE, ORA-00942, "must appear in the GROUP BY clause"...

    Markers are searched everywhere (those keyed by a word only when the word is in the
    prompt), the phrases (common anchors such as "error") only in
    the head and tail, where a pasted error and the question about it sit."""
    if _ERROR_MARKERS.found(lower, word_starts(lower)) or errors.oracle_error(lower):
        return True
    if cv.lock_error(lower):
        return True
    if keyed(lower, words, errors.ERROR_MARKERS_BY_WORD):
        return True
    if len(lower) > 4 * ASK_SPAN:
        lower = lower[: 2 * ASK_SPAN] + "\n" + lower[-2 * ASK_SPAN :]
    return _at(lower, words, _ERRORS, errors.ERROR_PHRASES)


def _dialect_score(s: str, words: frozenset[str]) -> tuple[int, bool]:
    """Points for engine names (2; +1 before a database noun, +2 when the question is about
    it or data moves into it, +1 for a second engine), and whether one moves data."""
    spans = [(i, i + len(w)) for w in words & v.DIALECTS for i in positions(s, w, limit=4)]
    if "pg" in words or "pgbouncer" in words:
        spans += [(i, i + len(t)) for t in v.ENGINE_TOOLS for i in positions(s, t, limit=2)]
    for name, pattern in v.CONTEXT_DIALECTS.items():
        if name in words:
            warehouse = name in v.WAREHOUSE_DIALECTS and not words.isdisjoint(v.WAREHOUSE_WORDS)
            spans += [
                (i, i + len(name))
                for i in positions(s, name, limit=4)
                if warehouse or pattern.match(s, i)
            ]
    if not spans:
        return 0, False
    noun = any(v.DIALECT_NOUN.match(s, end) for _, end in spans)
    action = any(v.DB_ACTION.search(s, max(0, start - 90), start) for start, _ in spans)
    topic = any(v.DIALECT_TOPIC.search(s, max(0, start - 12), start) for start, _ in spans)
    return 2 + noun + 2 * (action or topic), action


def _phrase_score(s: str, text: str, words: frozenset[str]) -> int:
    """SQL vocabulary in prose: capitals anywhere ("GROUP BY") or lower-case phrases."""
    upper = 4 * _UPPER_PHRASES.found(text, word_starts(s))
    if not upper:
        upper = 2 * any(has_word(text, w) for w in v.UPPER_WORDS if w in text)
    lower = next((n for n, group, p in _PHRASES if _at(s, words, group, p)), 0)
    return max(upper, lower) + (upper > 0 and lower > 0)


def _opens_with_query(s: str) -> bool:
    """The request (or a line of it) opens with "query to find ...", "SQL that returns ...":
    the imperative is the query itself."""
    return any(
        v.QUERY_DOES.match(s, i)
        for q in ("query", "queries", "sql")
        for i in positions(s, q, limit=4)
        if not s[:i].strip() or s[i - 1] == "\n"
    )


def _queries_named_tables(s: str) -> bool:
    """A database described by its tables, then rows of one asked for: "I have a database
    with users and payments. how do I find users whose first payment was in January?"."""
    starts = [i for q in ("database", "db") for i in positions(s, q, limit=4)]
    for start in starts if "with" in s else ():
        m = v.DB_WITH.match(s, start)
        if m:
            names = set(re.split(r"[\s,]+(?:and\s+)?", m.group("names")))
            asked = v.ASKS_FOR_ROWS.finditer(s, m.end(), m.end() + 300)
            return any(a.group("name") in names for a in asked)
    return False


def _nl_score(s: str, text: str, words: frozenset[str]) -> tuple[int, bool, bool]:
    """Points for evidence in the lower-cased request ``s`` (``text``: the same, original
    case), whether an SQL engine is named, and whether data moves into or out of one."""
    dialect, moves = _dialect_score(s, words)
    score = dialect + max(_phrase_score(s, text, words), cue_score(s, words))
    doers = ("sql", "query", "queries", "stored", "trigger")
    if not words.isdisjoint(doers) and at(s, doers, v.QUERY_DOES):
        score += 3 + _opens_with_query(s)
    if ("database" in words or "db" in words) and _queries_named_tables(s):
        score += 3
    nouns = [i for h, w in v.QUERY_NOUNS if h in words for i in positions(s, w, limit=8)]
    if any(v.ASK_BEFORE.search(s, max(0, i - 80), i) for i in nouns[:16]):
        score += 2
    if ("table" in s and before(s, "table", _TABLE_BEFORE)) or at(
        s, ("table", "schema"), v.TABLE_AFTER
    ):
        score += 3
    db_nouns = {w.rstrip("s") for w in words & v.DB_NOUNS if has_word(s, w)}
    # an idiom counts unless a dataframe is named without an engine ("duplicate rows in pandas")
    idiom = dialect > 0 or words.isdisjoint(v.DATAFRAME_WORDS)
    score += (
        bool(db_nouns) + (len(db_nouns) >= 2) + 4 * (idiom and _IDIOMS.found(s, word_starts(s)))
    )
    if db_nouns - {"db"} and any(
        i == 0 or s[i - 1].isspace() for q in ("query", "queries") for i in positions(s, q, limit=8)
    ):
        score += 2  # "my query is slow on a big table" (not db.query(...) in code)
    return score, dialect > 0, moves


# Other stores' SQL-like statements: Cassandra's CQL ("ALLOW FILTERING") joins N1QL, SOQL...
_OTHER_QL = (*v.OTHER_QL, "cassandra", "cqlsh", "allow filtering", "scylla", "keyspace")
_CQL_WORDS = frozenset("cql cqlsh scylla scylladb keyspace keyspaces".split())


def _lookalike(s: str, words: frozenset[str]) -> int:
    """Points against: the request is about something that only looks like SQL (pandas, a
    CV...: 3), or another query language whose prompts share SQL's words (MongoDB: 5)."""
    words = lk.tool_words(words)  # "Tu es un assistant": "es" is not Elasticsearch
    if any(has_word(s, w) for w in words & v.QUERY_LANGUAGES):
        return 5
    if not words.isdisjoint(v.CAREER_WORDS) or _CAREER_PHRASES.found(s, word_starts(s)):
        return 5
    if not words.isdisjoint(_CQL_WORDS) or "allow filtering" in s:
        return 5  # Cassandra's CQL, like another query language
    # BI calculated field, ORM mapping, library pick, CSV-to-JSON files, product prices
    if lk.lookalike(s, words) or lk.pricing(s, words):
        return 5
    if no_sql(s, words):
        return 5  # "dataframe api only, no spark sql": a veto, like another query language
    if any(has_word(s, w) for w in words & v.LOOKALIKE):
        return 3
    engines = words & v.DIALECTS - {"sql", "sparksql"}
    if not engines and any(has_word(s, w) for w in words & v.DATAFRAME_WORDS):
        return 3  # pandas alone; "read the MySQL table into pandas" is SQL
    orm = not words.isdisjoint(v.ORM_WORDS) or "entity framework" in s
    if orm and "sql" not in words and words.isdisjoint(v.DRIVERS) and "n+1" not in s:
        if len(engines) >= 2:
            return 0  # an engine choice: "sqlite or postgres for a small django app"
        if orm_sql(s, words):
            return 0  # the SQL it emits: "the select sqlalchemy emits for my relationship"
        return 3  # Django, SQLAlchemy... without SQL itself named
    if "table" in words and at(s, v.TABLE_ANSWER_ANCHORS, v.TABLE_ANSWER):
        return 3  # "make me a table of ...": the table is the answer's layout
    lookalike = _LOOKALIKE_PHRASES.found(s, word_starts(s))
    return 3 * (lookalike or keyed(s, words, v.LOOKALIKE_BY_WORD))


def _gated(text: str, lower: str, words: frozenset[str]) -> bool:
    """The gate's phrases (its words are checked first): "GROUP BY", "running total"..."""
    starts = word_starts(lower)
    return bool(
        _GATE_UPPER.found(text, starts)
        or _GATE_LOWER.found(lower, starts)
        or keyed(lower, words, v.GATE_BY_WORD)
    )


def _evidence(text: str) -> _sql_model.Evidence | bool:
    """What the rules see in ``text``: True for a statement or error message (decides
    alone), False when no SQL word passes the gate, else the points for and against.

    The rules read the detectors' bounded view; the scorer weighs the words of the wider
    ``word_view`` (what it was trained on: a long prompt's word set, 3,600 characters)."""
    wide = spaced_cjk(word_view(text))
    text = spaced_cjk(detector_view(text))
    words = words_of(text)
    lower = text.lower()
    # a table in relation notation, Orders(order_id, ...), read before any translation
    # (relation_signature needs the text and its lower case to line up)
    signature = "(" in text and relation_signature(text, lower, words)
    # "doppelte Zeilen aus einer Tabelle", "tablolarim", "테이블에서"
    foreign = not words.isdisjoint(FOREIGN_WORDS) or has_stem(lower)
    if foreign:
        lower, wide = to_english(text), to_english(wide)
        words = words | words_of(lower)
        if not signature and "(" in text and not words.isdisjoint(("table", "query", "normal")):
            signature = relation_signature(text, text.lower(), words, named_table=True)
    bare = bare_analytics(lower, words)  # short prompts only: "rank each student in their class"
    if words.isdisjoint(v.GATE) and not (signature or bare or _gated(text, lower, words)):
        return False
    if "\\" in text:  # ShareGPT-style markdown escapes: users\_id, SELECT \* FROM
        text = text.replace("\\_", "_").replace("\\*", "*")
        lower = lower.replace("\\_", "_").replace("\\*", "*")
    kind = "code" if cv.other_tool_task(lower) else task_kind(lower[: 2 * ASK_SPAN])
    if (kind is None or kind == "rewrite") and paste_task(text):
        return False  # a long paste whose instruction is another task: its SQL is material
    if kind in ("text", "code"):  # SQL as the material of a text or code task
        return _has_error(lower, words) and not paste_task(text)  # an error still decides
    if _has_statement(text, lower, words):
        # look-alike languages' statements (Cypher, N1QL) count only when SQL is named
        other = "sql" not in words and any(q in lower for q in _OTHER_QL)
        return _sql_model.Evidence(words, 10, 10 * other, True, False, False, statement=True)
    if _has_error(lower, words):
        return True
    if no_sql(lower, words):
        return False  # "dataframe api only, I don't want to switch to spark.sql": a veto
    ddl = _DDL.found(lower, word_starts(lower))
    if len(lower) > 2 * ASK_SPAN:
        lower = lower[:ASK_SPAN] + "\n" + lower[-ASK_SPAN:]
        text = text[:ASK_SPAN] + "\n" + text[-ASK_SPAN:]
    score, engine, moves = _nl_score(lower, text, words)
    score += 4 * signature  # a table in relation notation: a schema, like DDL
    if foreign and not (engine or signature or ddl or db_request(words)):
        return False  # "Welche Tabelle zeigt die Zeilen ...": a foreign table needs an engine
    # data moving between an SQL engine and a look-alike (Excel, pandas) is SQL work
    penalty = 0 if moves else _lookalike(lower, words)
    short = len(text) <= 1000
    rewrite = kind == "rewrite"  # rewrite or translate something not named as SQL
    analytic = short and not penalty and (bare or analytics(lower, words, signature))
    return _sql_model.Evidence(
        words_of(wide), score + ddl, penalty, short, engine, moves, task=rewrite, analytics=analytic
    )


@functools.lru_cache(maxsize=32)
def _verdicts(text: str) -> tuple[bool, bool]:
    """(default mode, high-recall mode) for the view ``text``: both from one pass, cached
    (keyed by the short view, so hashing the key costs little), so the conversation scan's
    second mode and its context checks cost a dictionary look-up."""
    ev = _evidence(text)
    if isinstance(ev, bool):
        return ev, ev
    if ev.statement:  # another store's SQL-like statement (N1QL, SOQL) counts in no mode
        return not ev.penalty, not ev.penalty
    return _sql_model.verdicts(ev)


def detect_sql(text: str, recall: bool = False) -> bool:
    """True when the answer to ``text`` is expected to write, fix, explain or tune SQL.

    ``recall=True`` is the high-recall mode: the scorer's lower threshold, and tabular
    analytics beside a relational word.
    """
    return _verdicts(word_view(text))[recall]
