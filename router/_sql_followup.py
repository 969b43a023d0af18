"""Whether a request after an SQL exchange continues the SQL work or is a new task.

A system prompt or an earlier SQL turn makes a follow-up SQL ("why?", "now only 2023",
"and sort it by revenue", "make it faster", "what about for each region", "does this work
on mysql too?"). It must not make SQL of a request that is its own task:

* :func:`other_artifact`: the request asks for something that is not SQL and not about the
  database: a chart or plot (matplotlib, "make me a bar chart of this"), a regex, a name for
  a pet or a company, a purchase ("what laptop should I buy"), a front-end component, a
  shell script or infrastructure code that names no database work;
* :func:`self_contained`: the request holds nothing that ties it to the work: no anaphor or
  elliptical cue (it, this, that, them, now, instead, too, why, what about...) and no
  database or data word (table, column, rows, query, customers, per month...) — "what's a
  good name for a grey kitten?" under an SQL assistant's system prompt.

Both feed :func:`router._sql_context_vocab.changes_topic`: the request is still SQL when it
is SQL on its own ("now write a query that ..."), only the context stops counting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["artifact_task", "other_artifact", "self_contained"]

_HEAD = 400
_CONTEXT = 2000  # characters of a context turn whose words can tie a request to it
# The rest of the sentence names database work: the artifact is for the SQL (a regex in a
# WHERE clause, a chart-ready query, a script that runs pg_dump).
_DB_AFTER = (
    r"(?![^.?!\n]{0,80}\b(?:sql|quer(?:y|ies)|where|column|table|database|db|postgres(?:ql)?|"
    r"mysql|oracle|sqlite|psql|pg_dump|mysqldump|regexp_\w+|like|rlike|similar\s+to|"
    r"migration|backup)\b)"
)
_ASK = (
    r"\b(?:write|make|draw|plot|create|generate|build|give|render|draft|need|want)\s+"
    r"(?:me\s+|us\s+)?(?:a|an|the|some|my)?\s*(?:[\w.-]+\s+){0,3}?"
)
_ARTIFACT = re.compile(
    # a chart or plot of the result (a charting library names it)
    r"\b(?:matplotlib|seaborn|plotly|ggplot2?|chart\.?js|recharts|bokeh|altair|echarts|"
    r"highcharts)\b"
    + _DB_AFTER
    + r"|"
    + _ASK
    + r"(?:bar\s+|line\s+|pie\s+)?(?:chart|plot|graph|histogram|heat\s*map|"
    r"visuali[sz]ation|infographic)s?\b"
    + _DB_AFTER
    # a regex (not REGEXP_LIKE, not a regex in a WHERE clause)
    + r"|"
    + _ASK
    + r"(?:regex(?:es)?|regexp|regular\s+expressions?)\b"
    + _DB_AFTER
    # a name for a pet, a person, a business
    + r"|\b(?:names?|nicknames?)\s+for\s+(?:a|an|my|our|the|his|her)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:kitten|cat|puppy|dog|pet|baby|boy|girl|son|daughter|hamster|rabbit|bunny|parrot|"
    r"horse|band|boat|startup|company|podcast|blog|business|shop|bakery|caf[eé]|team|"
    r"newsletter|youtube\s+channel)s?\b"
    r"|\bwhat\s+(?:should|could|do)\s+(?:i|we)\s+(?:call|name)\s+(?:my|our|the|a)\s+"
    r"(?!(?:[\w-]+\s+){0,2}(?:table|column|view|index|database|schema|cte|function|"
    r"procedure|constraint|key)s?\b)"
    # a purchase
     + r"|\b(?:what|which)\s+(?:[\w-]+\s+){0,3}?(?:should|would|could|do|can|to)\s+"
    r"(?:you\s+(?:recommend|suggest)\s+(?:that\s+)?)?(?:i\s+|we\s+)?(?:buy|purchase|get\s+for)\b"
    r"|\b(?:buy|purchase|buying|purchasing)\s+(?:a|an|me\s+a|the)?\s*(?:new\s+|used\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:laptop|phone|monitor|keyboard|mouse|car|bike|tv|headphones|chair|"
    r"desk|camera|tablet|computer|pc|macbook|iphone|console|sofa|mattress)s?\b"
    # code chores on the function just discussed (twelfth pass): type hints, a docstring,
    # tests, logging (not "add an index", not "add a column to the query")
     + r"|\b(?:add|write|give\s+me|generate)\s+(?:[\w-]+\s+){0,2}?(?:type\s+hints|type\s+"
    r"annotations|docstrings?|unit\s+tests?|pytest\s+(?:unit\s+)?tests?|tests\s+for|logging|"
    r"retr(?:y|ies))\b"
    + _DB_AFTER
    # scheduling a script (not pg_cron, not "a cron job that runs this query")
    + r"|\b(?:cron(?:tab)?|systemd|task\s+scheduler|launchd)\b"
    + _DB_AFTER
    # front-end or shell code, infrastructure ("now the vue component for the list page")
    + r"|(?:"
    + _ASK
    + r"|\b(?:now|next|then|and)\s+(?:the|a|an)\s+)"
    r"(?:react|vue|svelte|angular|css|html|tailwind|bash|shell|powershell|"
    r"zsh|dockerfile|docker-compose|kubernetes|k8s|helm|nginx|apache|github\s+actions?|"
    r"gitlab\s+ci)\s+(?:component|script|file|config(?:uration)?|manifest|page|template|"
    r"workflow|stylesheet|module|chart|one-liner|alias|function|form|layout)s?\b" + _DB_AFTER
)


def other_artifact(lower: str) -> bool:
    """The lower-cased request asks for a non-SQL artifact (a chart, a regex, a pet's name,
    a purchase, a front-end component or a shell script that names no database work)."""
    return bool(_ARTIFACT.search(lower[:_HEAD]))


def artifact_task(text: str) -> str:
    """``text`` from the sentence that asks for a non-SQL artifact on ("ok going with
    postgres. what laptop should i buy": the acknowledgement before it is about the work
    it leaves, not SQL evidence); ``text`` itself when it asks for none."""
    lower = text.lower()
    if len(lower) != len(text):  # a case change altered the length: work on the lower case
        text = lower
    m = _ARTIFACT.search(lower[:_HEAD])
    if m is None:
        return text
    start = max(text.rfind(end, 0, m.start()) for end in ".!?\n") + 1
    return text[start:]


# What ties a follow-up to the SQL work before it: anaphors, elliptical cues, and the
# words of data work (a follow-up about the rows or the query, in any phrasing).
_ANAPHORS = frozenset(
    "it it's its this that that's these those them they their theirs same above previous "
    "earlier last result results output answer instead also too again now "
    "why else more less only except plus without with per each every here there so still "
    "rather other compare compared comparison".split()
)
_DATA_WORDS = frozenset(
    # database operations, edits and judgements (they tie under a system prompt too)
    "disk space memory cpu server backup lock locks slow faster slower fast quicker "
    "efficient performance optimize optimise wrong correct "
    "right works work working fails failed fail error errors broken "
    "version versions alternative alternatively rewrite redo change modify "
    "add remove drop keep include exclude exclusive inclusive handle handling case cases "
    "explain difference vs versus better best worse safe safer "
    # data work
    "table tables column columns row rows record records field fields query queries sql "
    "database databases db schema index indexes indices key keys id ids join joins view "
    "views null nulls duplicate duplicates date dates time timestamp day days week weeks "
    "month months monthly year years yearly quarter daily weekly count counts sum total "
    "totals average avg max min rank group groups grouped sort sorted order ordered orders "
    "filter filtered where limit top bottom customer customers user users product products "
    "sales revenue price prices amount amounts employee employees department departments "
    "region regions category categories data dataset value values number numbers insert "
    "update delete select trigger procedure function constraint transaction migration "
    "postgres postgresql mysql sqlite oracle mssql tsql t-sql bigquery snowflake redshift "
    "mariadb clickhouse duckdb".split()
)
_TIES = _ANAPHORS | _DATA_WORDS
# Words of a system prompt too generic to tie a request to it ("the database team" and "a
# team offsite"; tenth pass).
_GENERIC = frozenset(
    "team teams company help helping support supporting expert experts assistant people "
    "work working question questions answer answers please always never".split()
)
# Conjunctions tie a request to the work only as its first word (tenth pass): "and the
# average per weekday?" continues, "ask for Friday off and swap a shift" does not.
_OPENERS = frozenset("and but or so then".split())
_WORD = re.compile(r"[a-z][a-z'-]*")
# The ties above are English: a request is judged self-contained only when it reads as
# English (one of these function words), so "y los que NO compraron en marzo?" after a
# query keeps its context.
_ENGLISH = frozenset(
    "the a an is are was what what's whats how who which when where can could should would "
    "do does did i i'm you your my me we our for of to in on at from about please".split()
)


def _stem(word: str) -> str:
    word = word.strip("'-")
    for end in ("ies", "es", "s"):
        if word.endswith(end) and len(word) - len(end) >= 3:
            return word[: -len(end)]
    return word


def self_contained(text: str, context: Iterable[str], anaphors: bool = True) -> bool:
    """The request ``text`` (at least four words, at most ``_HEAD`` characters) holds no
    anaphor, elliptical cue or data word, and no word of the ``context`` turns (the system
    prompt's or an earlier turn's tables: "which carrier is late most often" after "a
    Postgres database of shipments and carriers"): nothing ties it to the work before it.
    ``anaphors=False`` (a system prompt and no earlier turn: "it" and "this" have no SQL
    work to point back to; tenth pass): only data words and context words tie."""
    lower = text.lower()
    if len(lower) > _HEAD or any(ch.isdigit() for ch in lower):
        return False
    words = _WORD.findall(lower)
    ties = _TIES if anaphors else _DATA_WORDS
    if len(words) < 4 or any(w in ties or w.strip("'") in ties for w in words):
        return False
    if words[0] in _OPENERS:
        return False  # "and for each region?", "also sort it": elliptical only at the start
    if _ENGLISH.isdisjoint(words):
        return False  # not English: the ties cannot be read
    stems = {_stem(w) for w in words if len(w) >= 4 and w not in _GENERIC}
    for turn in context:
        if not stems.isdisjoint(_stem(w) for w in _WORD.findall(turn[:_CONTEXT].lower())):
            return False
    return True
