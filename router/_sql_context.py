"""What the SQL detector tells a conversation-level scan (``router._conversation``): how
strongly a system prompt or an earlier turn sets an SQL conversation, whether a turn is
about a look-alike tool instead, and whether a follow-up leaves SQL.
"""

from __future__ import annotations

from router import _sql_context_vocab as cv
from router import _sql_vocab as v
from router._sql import _dialect_score, _lookalike, _verdicts
from router._textscan import ASK_SPAN, detector_view, word_view, words_of

__all__ = ["leaves_sql", "other_query_tool", "sql_context"]


def other_query_tool(text: str) -> bool:
    """The turn is about a look-alike (MongoDB, pandas, Excel...) and names no SQL engine:
    the conversation is about that tool, so its other turns do not make a request SQL."""
    text = detector_view(text)
    words = words_of(text)
    if not words.isdisjoint(v.DIALECTS):
        return False
    lower = text.lower()
    lower = lower[:ASK_SPAN] + "\n" + lower[-ASK_SPAN:] if len(lower) > 2 * ASK_SPAN else lower
    return _lookalike(lower, words) > 0


def sql_context(text: str) -> int:
    """How strongly an earlier turn or a system prompt sets an SQL conversation.

    2: the turn is itself an SQL request, statement, schema or error; 1: it names an SQL
    engine (or an SQL DBA), so short follow-ups are about that database; 0: neither.
    """
    if _verdicts(word_view(text))[0]:
        return 2
    text = detector_view(text)
    words = words_of(text)
    lower = text.lower()
    lower = lower[:ASK_SPAN] + "\n" + lower[-ASK_SPAN:] if len(lower) > 2 * ASK_SPAN else lower
    if not _dialect_score(lower, words)[0] and "dba" not in words:
        return 0
    return 0 if _lookalike(lower, words) else 1


def leaves_sql(text: str) -> bool:
    """A follow-up that leaves the SQL conversation ("never mind, write a haiku instead",
    "now do it in pandas"): earlier SQL turns no longer make it SQL. Wider than
    :func:`router._sql_context_vocab.changes_topic` (a clear topic change, which the
    high-recall mode also respects): any look-alike tool named in the follow-up."""
    lower = text.lower()[: 2 * ASK_SPAN]
    words = words_of(detector_view(text))
    if v.TOPIC_SWITCH.search(lower) or cv.changes_topic(text):
        return True
    return _lookalike(lower, words) > 0
