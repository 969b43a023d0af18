"""Word sets and anchored pattern matching shared by the prompt detectors.

A pattern runs only where ``str.find`` found its leading literal (its anchor), with
``Pattern.match`` there, at the first few anchors only: bounded work per anchor, linear in
the text length whatever the input. The word set of a text is cached, so the four detectors
of one routing decision split the text once.

A message is read through its :func:`view`: its first and last ``SCAN_SPAN`` characters
(where a long prompt's request sits), nothing between, so the work per message is bounded
whatever its length. The exceptions: two cheap C-level scans of the whole text, for a code
fence (``detect_code``) and the "@" of an email (``detect_pii``), and the SQL scorer's word
set, split from the first and last ``WORD_SPAN`` characters (:func:`word_view`).
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Iterable

MAX_ANCHORS = 24  # anchors tried per pattern: keeps adversarial input linear
ASK_SPAN = 600  # in a long prompt the request sits in its first or last 600 characters
# The detectors read a message's first and last SCAN_SPAN characters, nothing between: the
# work per message is bounded by 2 * SCAN_SPAN characters whatever its length (chosen by
# measured quality and cost, docs/detectors.md "Bounded view").
SCAN_SPAN = 600
# The SQL scorer weighs the words of a wider view (first and last WORD_SPAN characters): its
# word weights were learned on word sets of up to 3,600 characters, and fewer words of a
# long prompt push its score up (measured: 6 more false alarms on ShareGPT with 600).
WORD_SPAN = 1800
# detect_pii reads a wider view (first and last PII_SPAN characters): personal data sits
# anywhere in a pasted document, and the rule that keeps it away from extra models should
# see most of it. Measured on the 10,318 ShareGPT first turns: 87 of the 98 prompts whose
# whole text has PII are found at 600 characters, all 98 at 4,000 (detect_pii alone: p99
# 35 -> 131 us, max 246 us -> 1.5 ms; the whole text: p99 207 us, max 30 ms).
PII_SPAN = 4000
_SEPARATORS = ",.?!():;\"'`[]{}_/=<>*|\\"
_SEPARATOR_BYTES = bytes.maketrans(_SEPARATORS.encode(), b" " * len(_SEPARATORS))


@functools.lru_cache(maxsize=8)
def words_of(text: str) -> frozenset[str]:
    """Lower-cased words of ``text``, split on punctuation; cached for the next detector.

    One C-level byte translation of the UTF-8 text (the separators are ASCII, and no byte
    of a multi-byte UTF-8 character is), instead of a ``replace`` per separator."""
    s = text.lower()
    if s.isascii():
        return frozenset(s.encode("ascii").translate(_SEPARATOR_BYTES).decode("ascii").split())
    raw = s.encode("utf-8", "surrogatepass").translate(_SEPARATOR_BYTES)
    return frozenset(raw.decode("utf-8", "surrogatepass").split())


_WORD_START = re.compile(r"(\w{1,4})\w*")
_LEAD = re.compile(r"\w*")
_WORD_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
_NON_WORD = bytes(c for c in range(128) if chr(c) not in _WORD_CHARS)
_NON_WORD_BYTES = bytes.maketrans(_NON_WORD, b" " * len(_NON_WORD))
_FIRST_4 = operator.itemgetter(slice(0, 4))


@functools.lru_cache(maxsize=8)
def word_starts(s: str) -> frozenset[str]:
    """The first (up to) four characters of every ``\\w+`` run of ``s`` (and, on non-ASCII
    text, maybe a few more): tells which anchors can occur word-initially (where
    ``positions`` finds them, a run starts), so the others cost no ``str.find``.

    The text's UTF-8 bytes have every ASCII character other than ``[A-Za-z0-9_]`` (ASCII
    ``\\w``) translated to a space; of the pieces ``split`` leaves, an alphanumeric one is a
    run, and the runs of the others (with "_" or a non-ASCII non-word character such as
    "’") come from one regex pass over them."""
    if s.isascii():
        runs = s.encode("ascii").translate(_NON_WORD_BYTES).decode("ascii").split()
        return frozenset(map(_FIRST_4, set(runs)))
    raw = s.encode("utf-8", "surrogatepass").translate(_NON_WORD_BYTES)
    pieces = raw.decode("utf-8", "surrogatepass").split()
    odd = " ".join(itertools.filterfalse(str.isalnum, pieces))
    return frozenset(map(_FIRST_4, set(pieces))).union(_WORD_START.findall(odd))


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


class Needles:
    """Phrases looked for where a word starts: a phrase whose leading word has a
    :func:`start_key` is searched (``in``) only when that key is among the text's
    :func:`word_starts` (a set intersection), the others always. Found where the plain
    substring test finds them, except inside a word ("xpower query")."""

    def __init__(self, needles: tuple[str, ...]) -> None:
        keyed = [(None if n[:1] == "_" else start_key(n.lower()), n) for n in needles]
        self.always = tuple(n for k, n in keyed if k is None)
        self.by_key: dict[str, tuple[str, ...]] = {}
        for k, n in keyed:
            if k is not None:
                self.by_key[k] = (*self.by_key.get(k, ()), n)
        self.keys = frozenset(self.by_key)

    def found(self, s: str, starts: frozenset[str]) -> bool:
        """One of the phrases is in ``s`` (``starts``: the lower-cased ``s``'s word starts)."""
        if any(n in s for n in self.always):
            return True
        by_key = self.by_key
        return any(n in s for k in self.keys & starts for n in by_key[k])


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


def at(s: str, anchors: Iterable[str], pattern: re.Pattern[str]) -> bool:
    """``pattern`` matches at a word-initial occurrence of one of ``anchors`` (the first
    ``MAX_ANCHORS`` of each): :func:`positions` and ``Pattern.match``, in one loop."""
    find, match = s.find, pattern.match
    for a in anchors:
        i, tried = find(a), 0
        while i != -1 and tried < MAX_ANCHORS:
            if i == 0 or not (s[i - 1].isalnum() or s[i - 1] == "_"):
                if match(s, i):
                    return True
                tried += 1
            i = find(a, i + 1)
    return False


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
    set is split once): :func:`view`."""
    return view(text)


def word_view(text: str) -> str:
    """``text`` if it has at most ``2 * WORD_SPAN + 1`` characters, else its first and last
    ``WORD_SPAN`` characters: the wider view whose word set the SQL scorer weighs."""
    if len(text) <= 2 * WORD_SPAN + 1:
        return text
    return text[:WORD_SPAN] + "\n" + text[-WORD_SPAN:]


def view(text: str, span: int = SCAN_SPAN) -> str:
    """``text`` if it has at most ``2 * span + 1`` characters, else its first and last
    ``span`` characters joined by a newline: the bounded text every detector reads
    (what lies between is not read, see docs/detectors.md "Bounded view")."""
    if len(text) <= 2 * span + 1:
        return text
    return text[:span] + "\n" + text[-span:]


_KEYS: dict[int, frozenset[str]] = {}


def keyed(lower: str, words: frozenset[str], table: dict[str, tuple[str, ...]]) -> bool:
    """A substring of ``table`` whose key word is in ``words`` occurs in ``lower``."""
    keys = _KEYS.get(id(table))
    if keys is None:
        keys = _KEYS[id(table)] = frozenset(table)
    return any(m in lower for w in words & keys for m in table[w])
