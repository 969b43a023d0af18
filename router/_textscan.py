"""Word sets and anchored pattern matching shared by the prompt detectors.

A pattern runs only where ``str.find`` found its leading literal (its anchor), with
``Pattern.match`` there, at the first few anchors only: bounded work per anchor, linear in
the text length whatever the input. The word set of a text is cached, so the four detectors
of one routing decision split the text once.

A long text is read through its :func:`view`: the head and the tail (where a long prompt's
request sits: every request-level rule reads only ``2 * ASK_SPAN`` characters at each end)
plus short windows after the first occurrences of the anchors a detector names (an SQL
statement or a database error in the middle of a pasted file). That bounds the work on a
16,000-character prompt to about what a 4,000-character one costs.
"""

from __future__ import annotations

import functools
import re

MAX_ANCHORS = 24  # anchors tried per pattern: keeps adversarial input linear
ASK_SPAN = 600  # in a long prompt the request sits in its first or last 600 characters
VIEW_END = 2 * ASK_SPAN  # characters of the head and of the tail a view keeps
_VIEW_WINDOW = (60, 560)  # a middle window: this many characters before/after its anchor
_VIEW_WINDOWS = 6  # middle windows at most
# The anchors of the detectors' shared view (:func:`detector_view`), in priority order:
# SQL errors and statements, code, LaTeX and "$" (math), then English-looking SQL words.
DETECTOR_ANCHORS = (
    "sqlstate",
    "ora-",
    "psycopg2.",
    "sqlite3.",
    "pg::",
    "statementinvalid",
    "er_dup_entry",
    "er_parse_error",
    "identity_insert",
    "mysql server version",
    "sql server error",
    "insert into",
    "create table",
    "alter table",
    "delete from",
    "primary key",
    "traceback (most recent",
    "#include",
    "\\",
    "$",
    "[asy]",
    "select",
    "join",
    "def ",
    "function",
    "class ",
    "import ",
    "update",
    "create",
    "with",
)
_SEPARATORS = ",.?!():;\"'`[]{}_/=<>*|\\"
_SEPARATOR_BYTES = bytes.maketrans(_SEPARATORS.encode(), b" " * len(_SEPARATORS))


@functools.lru_cache(maxsize=8)
def words_of(text: str) -> frozenset[str]:
    """Lower-cased words of ``text``, split on punctuation; cached for the next detector."""
    s = text.lower()
    if s.isascii():  # one C-level byte translation instead of a replace per separator
        return frozenset(s.encode("ascii").translate(_SEPARATOR_BYTES).decode("ascii").split())
    for c in _SEPARATORS:
        if c in s:
            s = s.replace(c, " ")
    return frozenset(s.split())


_WORD_START = re.compile(r"(\w{1,4})\w*")
_LEAD = re.compile(r"\w*")


@functools.lru_cache(maxsize=8)
def word_starts(s: str) -> frozenset[str]:
    """The first (up to) four characters of every ``\\w+`` run of ``s``: one regex pass that
    tells which anchors can occur word-initially (where ``positions`` finds them, a run
    starts), so the others cost no ``str.find``."""
    return frozenset(_WORD_START.findall(s))


def start_key(anchor: str) -> str | None:
    """What :func:`word_starts` holds where ``anchor`` starts a word, or None when it cannot
    tell (an anchor of under four letters that a longer word may begin with)."""
    lead = _LEAD.match(anchor)
    head = lead.group() if lead else ""
    if not head or (head == anchor and len(head) < 4):
        return None
    return head[:4]


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


def anchor(pattern: str) -> str:
    """The literal a pattern starts with: its anchor for ``str.find``."""
    return re.split(r"[\\\[(.*+?{|^$]", pattern, maxsplit=1)[0]


def boundary_before(s: str, i: int) -> bool:
    return i == 0 or not (s[i - 1].isalnum() or s[i - 1] == "_")


def positions(s: str, sub: str, word: bool = True, limit: int = MAX_ANCHORS) -> list[int]:
    """Starts of ``sub`` (word-initial ones if ``word``: "table" also finds "tables")."""
    out: list[int] = []
    i = s.find(sub)
    while i != -1 and len(out) < limit:
        if not word or boundary_before(s, i):
            out.append(i)
        i = s.find(sub, i + 1)
    return out


def has_word(s: str, word: str) -> bool:
    n = len(word)
    return any(not s[i + n : i + n + 1].isalnum() for i in positions(s, word))


def at(s: str, anchors: tuple[str, ...], pattern: re.Pattern[str]) -> bool:
    """``pattern`` matches at a word-initial occurrence of one of ``anchors``."""
    return any(pattern.match(s, i) for a in anchors for i in positions(s, a))


def before(s: str, word: str, pattern: re.Pattern[str], span: int = 90) -> bool:
    """``pattern`` (ending in ``\\Z``) ends where the word ``word`` or its plural starts."""
    n = len(word)
    return any(
        pattern.search(s, max(0, i - span), i)
        for i in positions(s, word)
        if not s[i + n : i + n + 1].isalnum() or s[i + n : i + n + 2].rstrip(" ,.") == "s"
    )


def detector_view(text: str) -> str:
    """The one view of ``text`` that the SQL, code and math detectors all read (so its word
    set is split once): :func:`view` with ``DETECTOR_ANCHORS``."""
    return view(text, DETECTOR_ANCHORS)


@functools.cache
def _ascii(anchors: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(a.encode("ascii") for a in anchors)


@functools.lru_cache(maxsize=16)
def view(text: str, anchors: tuple[str, ...] = ()) -> str:
    """``text`` if short, else its head and tail with windows around the first occurrence
    of each of ``anchors`` (lower-case, in priority order) in the middle, in text order.

    The head and the tail are ``VIEW_END`` characters each, so whatever a detector reads in
    the first or last ``2 * ASK_SPAN`` characters is unchanged; a middle window runs from
    60 characters before its anchor to 560 after it, longer than any statement pattern a
    detector anchors there (their bounded parts stop at 500 characters).
    """
    if len(text) <= 3 * VIEW_END:
        return text
    head, tail = VIEW_END, len(text) - VIEW_END
    # one byte per character (non-ASCII ones become "?"): the same offsets, faster finds
    middle = text[head:tail].lower().encode("ascii", "replace")
    spans: list[tuple[int, int]] = []
    for a in _ascii(anchors):
        i = middle.find(a)
        if i >= 0 and not any(lo <= head + i < hi for lo, hi in spans):
            i += head
            spans.append((max(head, i - _VIEW_WINDOW[0]), min(tail, i + _VIEW_WINDOW[1])))
            if len(spans) == _VIEW_WINDOWS:
                break
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return "\n".join([text[:head], *(text[lo:hi] for lo, hi in merged), text[tail:]])
