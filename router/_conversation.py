"""Run the detectors over a conversation: which fired, in which mode, on which turn.

Every detector reads the last user turn, then the system prompt (a PII-laden system prompt
or one that asks for code is still the request's). SQL also reads the conversation around
the request, because SQL is often asked for in a follow-up ("now only customers from
Spain"):

* a system prompt that sets up SQL work (it is itself SQL evidence: a schema, "answer with
  SQL", or it names an SQL engine: "You write PostgreSQL.") makes the request SQL;
* an earlier turn (the last ``CONTEXT_TURNS``, most recent first) that holds SQL, a schema,
  a database error or an SQL request makes it SQL, unless the request leaves the topic
  ("never mind, write a haiku instead", "now in pandas") or an earlier turn is about a
  look-alike tool (MongoDB, pandas, Excel) without naming an SQL engine; an earlier turn
  that only names an engine ("I'm on SQL Server 2019") counts for a short follow-up.

In the high-recall mode (``mode: recall`` in a policy rule) the detector's recall variant
reads the same turns and any SQL context counts, except in both modes:

* a request that clearly changes the topic (its own non-SQL task: a haiku, a Slack message,
  a unit conversion, a book recommendation, a mongoose schema or an Elasticsearch mapping
  of the table; "unrelated, ..."; ``router._sql_context_vocab.changes_topic``) is not made
  SQL by the system prompt or earlier turns; short elliptical follow-ups ("why?", "now
  only 2023", "make it faster") still are;
* under a system prompt that sets a non-SQL task ("You write job ads", "Translate
  everything into French") the request's database words are that task's material: it is
  SQL only when it asks for SQL itself ("write me a query that ...");
* in a conversation whose system prompt or earlier turn is about a look-alike tool (pandas,
  MongoDB, a sheet) without an SQL engine, a request that only the high-recall mode finds
  ("how do I get the total per customer") is that tool's.

A turn is its index in ``messages`` (0 for a string prompt).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from router._detectors import DETECTORS, detect_sql
from router._prompt import PromptInput, Turn
from router._sql_context import leaves_sql, other_query_tool, sql_context
from router._sql_context_vocab import (
    asks_for_sql,
    changes_topic,
    sets_other_task,
    without_leaving_cue,
)
from router._sql_followup import self_contained
from router._sql_vocab import CONTEXT_DIALECTS, DIALECTS
from router._textscan import words_of

__all__ = ["RECALL_DETECTORS", "RECALL_SUFFIX", "DetectorHits", "detect_turn", "scan_prompt"]

RECALL_SUFFIX = ":recall"  # "sql:recall": fired only in the high-recall mode
# Detectors with a high-recall mode (policies' ``mode: recall`` accepts these names).
RECALL_DETECTORS: dict[str, Callable[[str], bool]] = {
    "sql": functools.partial(detect_sql, recall=True)
}
_SHORT_FOLLOW_UP = 240  # characters: "ok now sort it by the sum", "about 50M rows, why?"
_ENGINE_SPAN = 400  # characters of a request read for an engine name
# Engine names, the ambiguous ones ("snowflake", "oracle") included: after a data
# conversation they name where the work moves.
_ENGINE_NAMES = (DIALECTS | frozenset(CONTEXT_DIALECTS)) - {"sql"}


@dataclass(frozen=True)
class DetectorHits:
    """Detectors that fired: ``names`` in the default mode, ``recall`` in the high-recall
    mode (a superset, computed only for the detectors a rule asks for), and ``turns``: the
    message index each fired on (``"sql:recall"`` when only the recall mode fired)."""

    names: frozenset[str]
    recall: frozenset[str] = frozenset()
    turns: Mapping[str, int] = field(default_factory=dict)


def scan_prompt(
    prompt: PromptInput, recall_for: Iterable[str] = (), names: Iterable[str] | None = None
) -> DetectorHits:
    """The detectors ``names`` (default: all) in the default mode, and the high-recall mode
    of ``recall_for``. A router passes the detectors its policy's rules name: the others
    would cost time and decide nothing."""
    turns: dict[str, int] = {}
    for name in DETECTORS if names is None else names:
        hit = detect_turn(name, prompt)
        if hit is not None:
            turns[name] = hit
    recall = set()
    for name in recall_for:
        hit = turns.get(name)
        if hit is None:
            hit = detect_turn(name, prompt, recall=True)
            if hit is not None:
                turns[name + RECALL_SUFFIX] = hit
        if hit is not None:
            recall.add(name)
    names = frozenset(n for n in turns if not n.endswith(RECALL_SUFFIX))
    return DetectorHits(names, frozenset(recall), turns)


def detect_turn(name: str, prompt: PromptInput, *, recall: bool = False) -> int | None:
    """The message index on which detector ``name`` fires for ``prompt``, or None."""
    detect = RECALL_DETECTORS[name] if recall else DETECTORS[name]
    last = prompt.last_user or Turn(0, "user", prompt.detector_text)
    if name == "sql":
        return _sql_turn(prompt, last, detect, recall=recall)
    for turn in (last, prompt.system):
        if turn is not None and detect(turn.text):
            return turn.index
    return None


def _sql_turn(
    prompt: PromptInput, last: Turn, detect: Callable[[str], bool], *, recall: bool
) -> int | None:
    """The turn that makes the request SQL: the request itself, else (unless it clearly
    changes the topic) the system prompt or an earlier turn. Under a system prompt that
    sets a non-SQL task, the request's database words are that task's material."""
    system = prompt.system
    if (
        system is not None
        and sets_other_task(system.text)
        and not sql_context(system.text)
        and not asks_for_sql(last.text)
    ):
        return None  # "You write job ads." + "backend developer, PostgreSQL, Docker"
    if system is None and not prompt.context:
        return last.index if detect(last.text) else None  # nothing around the request
    change = changes_topic(last.text)
    if detect(without_leaving_cue(last.text) if change else last.text):
        if recall and not detect_sql(last.text) and _about_lookalike(prompt):
            return None  # "total per customer" in a pandas or MongoDB chat: that tool's
        return last.index
    if change:
        return None  # "thanks! now write a haiku": its own task, in both modes
    around = (*(() if system is None else (system.text,)), *(t.text for t in prompt.context))
    if self_contained(last.text, around, anaphors=bool(prompt.context)):
        return None  # "what's a good name for a kitten?": nothing ties it to the SQL work
    if system is not None and detect(system.text):
        return system.index
    return _sql_from_context(prompt, last, recall=recall)


def _about_lookalike(prompt: PromptInput) -> bool:
    """The system prompt or an earlier turn is about a look-alike tool (pandas, MongoDB, a
    sheet) and names no SQL engine: a request only the high-recall mode finds is that
    tool's."""
    turns = (*prompt.context, *(() if prompt.system is None else (prompt.system,)))
    return any(other_query_tool(t.text) for t in turns)


def _names_engine(text: str) -> bool:
    """The request names an SQL engine (PostgreSQL, Redshift, Snowflake...) as a word."""
    return not words_of(text[:_ENGINE_SPAN]).isdisjoint(_ENGINE_NAMES)


def _sql_from_context(prompt: PromptInput, last: Turn, *, recall: bool) -> int | None:
    """The system prompt or earlier turn that makes the request SQL, if any."""
    if prompt.system is not None and sql_context(prompt.system.text):
        return prompt.system.index
    if not prompt.context:
        return None
    leaves = not recall and leaves_sql(last.text)
    if any(other_query_tool(t.text) for t in prompt.context):
        # a MongoDB (pandas, Excel...) conversation: its index is not SQL's, unless the work
        # moves to an SQL engine ("the data lives in redshift, do the same there")
        return last.index if recall and _names_engine(last.text) else None
    short = len(last.text) <= _SHORT_FOLLOW_UP
    for turn in prompt.context:
        strength = sql_context(turn.text)
        if strength and (recall or (not leaves and (strength == 2 or short))):
            return turn.index
    return None
