"""Text tasks whose material or subject may be SQL (``router._sql_task.task_kind``): a
document turned into another genre, patterns across pasted alerts, creative forms, and
career or learning texts. Each is a regex fragment ending in ``|`` (or a named group) for
the task alternation; matched against the lower-cased start of the request.
:func:`text_task` finds the ones named elsewhere in the first sentence (another language,
a deliverable for people)."""

from __future__ import annotations

import re

__all__ = ["CAREER", "CREATIVE", "INTO_TEXT", "PATTERNS_IN", "text_task"]

# "turn these alerts into a handover note", "convert this chat log into meeting minutes":
# a document turned into a text genre (not "turn this query into a view").
INTO_TEXT = (
    r"(?:turn|convert|make)\s+(?:these|this|the|my|our)\s+(?:following\s+)?(?:[\w-]+\s+){0,3}?"
    r"into\s+(?:an?\s+|the\s+|some\s+|my\s+)?(?:[\w-]+\s+){0,3}?(?:action\s+items|summary|"
    r"minutes|follow-?ups|handover|hand-?off|bullet\s+points|bullets|e-?mail|report|checklist|"
    r"timeline|faq|slides?|tweet|memo|agenda|to-?do\s+list|status\s+update|post-?mortem|"
    r"paragraph|story|poem|notes?)\b(?!\s+(?:table|column|query|statement|view))|"
)
# Patterns across pasted alerts, logs or incidents ("what do these alerts have in common"):
# the quoted statements are their material (not "analyze these slow query logs").
PATTERNS_IN = (
    r"(?:what\s+(?:is|are)\s+(?:common|similar)\s+(?:in|among|between|across)|what\s+do|"
    r"find\s+(?:the\s+)?(?:common\s+)?(?:patterns?|themes?|similarities)\s+"
    r"(?:in|among|across)|correlate|analy[sz]e|group|cluster|triage)\s+(?:these|this|the\s+"
    r"following|the)\s+(?:[\w-]+\s+){0,2}?(?:alerts|logs?|log\s+lines|events|errors|"
    r"incidents|tickets|notifications|entries)\b|"
)
# Creative forms: their subject may be SQL ("a haiku about a slow sql query"), their answer
# holds no SQL that must be right.
CREATIVE = (
    r"(?P<creative>(?:write|compose|create|make\s+up|tell)\s+(?:me\s+|us\s+)?(?:a|an|some)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:poem|haiku|limerick|sonnet|song|rap|lyrics|joke|short\s+story|"
    r"bedtime\s+story)s?)\b|"
)
# Career and learning texts that list SQL among skills or topics (eighth pass): "make me a
# 6 week learning roadmap ...: SQL, Airflow", "draft a short speaker bio", "my LinkedIn
# headline", "a pep talk before the SQL final". Like a poem, SQL is their topic even when
# named right after the genre, so task_kind does not look for an SQL object after them.
CAREER = (
    r"(?P<career>(?:write|draft|compose|create|make|give|prepare|build)\s+(?:me\s+|us\s+)?"
    r"(?:a|an|my|our)\s+(?:[\w-]+\s+){0,2}?(?:(?:study|learning|revision|training)\s+"
    r"(?:plan|schedule)|learning\s+(?:path|roadmap)|roadmap\s+to\s+(?:become|learn)|syllabus|"
    r"curriculum|(?:linkedin\s+)?headline|about\s+section|(?:speaker\s+)?bio|motivational\s+"
    r"(?:message|note|speech)|pep\s+talk))"
)

# Text tasks named in German, French, Spanish, Portuguese, Italian, Russian or Chinese
# (ninth pass): translate, rephrase, proofread or summarise. German puts the verb last ("den
# folgenden Absatz ins Englische übersetzen"), so the verb is searched in the request's
# first sentence rather than matched at its start.
_FOREIGN_TASK = re.compile(
    r"\b(?:tradui[st]|traduire|traduisez|tradu[cz]e|traduci[rs]?|traduza|traduzir|traduca|"
    r"übersetz\w*|reformul\w*|umformulier\w*|korrigier\w*|corrig(?:e|ez|er|ir)|revisa|"
    r"révise[rz]?|relis|relire|resum[ae]|résume[rz]?|resumir|zusammenfass\w*|"
    r"перевед\w*|переведи|перефраз\w*|исправь)\b|翻译|润色|改写"
)
# A non-SQL deliverable for people, named anywhere in the request's opening (ninth pass):
# "need 4 slides for the trustees", "sales email to brewery owners", "a 5-bullet summary
# of this migration plan", "a short newsletter blurb announcing ..."
_DELIVERABLE = re.compile(
    r"(?:^|\b(?:\d+|a|an|one|two|three|four|five|six|short|quick)[\s-]+(?:[\w'-]+[\s-]+){0,2}?)"
    r"(?:slides?|slide\s+deck|deck|one-?pager|blurb|(?:sales|cold|marketing|outreach)\s+"
    r"e-?mail|press\s+release|memo|executive\s+summary|bullet\s+summary)\b"
    r"(?=\s+(?:for|to|on|about|of|announcing|explaining|that)\b)"
)
# What makes such a task SQL after all: its object is a query, a statement or a procedure
# ("4 bullets explaining what this query does"; "traduis cette requête en PostgreSQL" reads
# "query" after the foreign lexicon).
_CODE_OBJECT = re.compile(
    r"quer(?:y|ies)|statements?|procedures?|\bselect\b|\bjoin\b|\bddl\b|запрос|查询|语句|"
    r"\bsql\s+(?:code|for|to|that|version)\b"
)
_FIRST_SENTENCE = re.compile(r"[^:\n.?!。：]{0,160}")


def text_task(lower: str) -> bool:
    """The lower-cased request's first sentence asks for a text task in another language or a
    deliverable for people (slides, a sales email, a memo) whose object is not SQL code."""
    m = _FIRST_SENTENCE.match(lower)
    first = m.group(0) if m else ""
    if not (_FOREIGN_TASK.search(first) or _DELIVERABLE.search(first)):
        return False
    return not _CODE_OBJECT.search(first)
