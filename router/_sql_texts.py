"""Text tasks whose material or subject may be SQL (``router._sql_task.task_kind``): a
document turned into another genre, patterns across pasted alerts, creative forms, and
career or learning texts. Each is a regex fragment ending in ``|`` (or a named group) for
the task alternation; matched against the lower-cased start of the request."""

from __future__ import annotations

__all__ = ["CAREER", "CREATIVE", "INTO_TEXT", "PATTERNS_IN"]

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
