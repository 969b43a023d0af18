"""Which words an SQL phrase anchor needs besides itself (``router._sql_vocab``'s phrases).

Speed only: an anchor whose phrase cannot match without one of these words is not searched.
"""

from __future__ import annotations

from router._textscan import wordset

__all__ = ["ANCHOR_REQUIRES"]

# Anchors that are common words: the phrase they start can only match when one of these
# words is in the prompt too, so the anchor is not searched otherwise (speed only: the
# result is the same).
_REQUIRES_SOURCE = (  # (anchors, words one of which the phrase needs)
    ("where", "clause"),
    ("select", "statement statements for"),
    ("update insert merge alter prepared", "statement statements"),
    ("delete", "statement statements duplicate truncate"),
    ("create drop", "statement statements index"),
    ("add rebuild", "index"),
    ("left right inner outer self cross anti semi", "join joins"),
    ("full", "join joins index scan"),
    ("join joining joins", "tables"),
    ("query", "plan optimizer optimiser"),
    ("execution", "plan"),
    ("explain", "analyze analyse"),
    ("normal", "form forms"),
    ("isolation", "level levels"),
    ("case", "when"),
    ("raw generated underlying resulting", "sql"),
    ("window", "function functions"),
    ("on", "delete"),
    ("temp temporary fact dimension junction bridge lookup", "table tables"),
    ("star", "schema"),
    ("dirty phantom", "read reads"),
    ("row", "level security"),
    ("recursive", "query queries cte ctes"),
    ("seq", "scan"),
    ("primary natural candidate surrogate", "key keys"),
    ("foreign", "key keys constraint"),
    ("composite", "key keys index"),
    ("er", "diagram"),
    ("migration backfill", "column columns table tables"),
    ("null", "value values"),
    ("column", "unique exist ambiguous"),
    ("columns", "unique"),
    ("remove find count dedupe", "duplicate"),
    ("check", "constraint constraints"),
    ("identity", "column columns"),
    ("to into", "query"),
    ("group order", "by"),
    ("second", "highest"),
    ("unique", "constraint column columns key index"),
    ("auto", "increment"),
    ("not", "null"),
    ("store stores storing", "database db table"),
    ("must", "appear"),
    ("my this the our", "query select"),
    ("wrong", "query"),
    ("first latest last top", "row rows"),
    ("one", "row rows many"),
    ("nth n-th second third 2nd 3rd", "highest largest lowest smallest max"),
    ("lock locking locks", "table tables row rows wait"),
    ("many", "many"),
    ("duplicate", "key entry rows records"),
    ("syntax", "error"),
    ("relation table role function sequence type extension", "exist"),
    ("unknown ambiguous", "column"),
    ("integrity", "constraint"),
    ("invalid", "select column identifier"),
    ("no", "such"),
    ("msg", "level"),
)
ANCHOR_REQUIRES = {
    anchor: wordset(words) for anchors, words in _REQUIRES_SOURCE for anchor in anchors.split()
}
