"""PII finder: emails, phone numbers, Luhn-valid card numbers and API keys.

``find_pii`` (the labeling toolkit's scrubber) reads the whole text. ``detect_pii`` (the
``pii`` override matcher) reads the detectors' bounded view (``router._textscan.view``:
the first and last ``SCAN_SPAN`` characters) for keys and numbers, and the whole text for
emails, looked for at its first ``_AT_LIMIT`` "@"s: its work is bounded whatever the
length of the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from router._textscan import PII_SPAN, boundary_before, positions, view

__all__ = ["PiiMatch", "detect_pii", "find_pii"]


# --- PII -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PiiMatch:
    """A span of personal or secret data: ``text[start:end]`` is of kind ``kind``."""

    kind: str  # "email", "phone", "credit_card" or "api_key"
    start: int
    end: int


_EMAIL = re.compile(
    r"(?<![\w.%+/-])[\w.%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\."
    r"(?:[a-z]{2,24}|[A-Z]{2,24})\b"
)
_API_KEYS = tuple(  # (gate, pattern, group holding the secret)
    (gate, re.compile(pattern), group)
    for gate, pattern, group in (
        ("sk-", r"sk-(?:ant-(?:api\d\d-)?|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", 0),
        ("AKIA", r"AKIA[0-9A-Z]{16}(?![0-9A-Za-z])", 0),
        ("ASIA", r"ASIA[0-9A-Z]{16}(?![0-9A-Za-z])", 0),
        ("_", r"gh[pousr]_[A-Za-z0-9]{36,255}", 0),
        ("github_pat_", r"github_pat_[A-Za-z0-9_]{22,255}", 0),
        ("xox", r"xox[abposr]-[A-Za-z0-9-]{10,}", 0),
        ("AIza", r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", 0),
        ("Bearer", r"Bearer\s+([A-Za-z0-9._~+/=-]{19,}[A-Za-z0-9_~+/=-])", 1),
    )
)
# 13-19 digits in one run, 4-4-4-4(-x) groups with one kind of separator, or Amex 4-6-5
_CARD = re.compile(
    r"[2-6]\d{3}(?:\d{9,15}|([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|([ -])\d{6}\2\d{5})"
)
_PHONES = (
    re.compile(r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}"),  # +44 20 7946 0958, +1-415-555-2671
    re.compile(r"[\d(](?:\d{3}\)\s?|\d{2}[ .-])\d{3}[ .-]\d{4}"),  # (415) 555-2671, 415.555.2671
    re.compile(r"0\d{1,4}[ .-]\d{3,4}[ .-]?\d{3,4}"),  # 020 7946 0958
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _isolated(text: str, start: int, end: int) -> bool:
    """Not glued to more digits or letters on either side."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "+-_.") and not (after.isalnum() or after == "_")


def _find_keys(text: str) -> list[PiiMatch]:
    found = []
    for gate, pattern, group in _API_KEYS:
        for m in pattern.finditer(text) if gate in text else ():
            secret = m.group(group)  # a key mixes digits and letters: not "sk-learn-tutorial"
            if (
                boundary_before(text, m.start())
                and any(c.isdigit() for c in secret)
                and any(c.isalpha() for c in secret)
            ):
                found.append(PiiMatch("api_key", m.start(group), m.end(group)))
    return found


def _find_numbers(text: str, taken: list[PiiMatch]) -> list[PiiMatch]:
    if sum(map(text.count, "0123456789")) < 8:  # phones and cards have 8 digits or more
        return []
    found = [
        PiiMatch("credit_card", m.start(), m.end())
        for m in _CARD.finditer(text)
        if _isolated(text, m.start(), m.end()) and _luhn(re.sub(r"\D", "", m.group()))
    ]
    covered = bytearray(len(text))  # a phone may not overlap a key, an email or a card
    for p in taken + found:
        covered[p.start : p.end] = b"\x01" * (p.end - p.start)
    for pattern in _PHONES:
        for m in pattern.finditer(text):
            digits = sum(c.isdigit() for c in m.group())
            if (
                8 <= digits <= 15
                and _isolated(text, *m.span())
                and not any(covered[m.start() : m.end()])
            ):
                found.append(PiiMatch("phone", m.start(), m.end()))
                covered[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    return found


def find_pii(text: str) -> list[PiiMatch]:
    """Emails, phone numbers, Luhn-valid card numbers and API keys, in text order."""
    found = _find_keys(text)
    if "@" in text:
        found += [PiiMatch("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    found += _find_numbers(text, found)
    return sorted(found, key=lambda p: (p.start, p.end))


# A phone or card number lies inside a run of digits and separators holding 8 digits or more:
# one regex pass finds each such run's first to last digit (the number patterns then run
# only there, which gives the same matches; a date or time, "2023-01-04 12", is a run too).
_SEP = " ().+-"
_NUMBER_RUN = re.compile(r"\d(?:[ ().+-]*\d){7,}")
_ASCII_NUMBER_RUN = re.compile(r"[0-9](?:[ ().+-]*[0-9]){7,}")  # the same on ASCII, faster
# Every phone match holds a "+" (international), "ddd-dddd" (North American) or
# "0d-ddd" (national); a card holds 13 digits: a run with neither is skipped.
_PHONE_SHAPE = re.compile(r"\+|\d{3}[ .-]\d{4}|0\d{1,4}[ .-]\d{3}")
_AT_LIMIT = 64  # "@"s looked at one by one; past that the email pattern scans the text


def _runs_of(text: str) -> Iterator[tuple[int, int]]:
    """Spans that can hold a phone or card number: a run's digits, with the "+" or "("
    right before its first digit and the ")" right after its last."""
    for run in (_ASCII_NUMBER_RUN if text.isascii() else _NUMBER_RUN).finditer(text):
        lo, hi = run.span()
        yield lo - (lo > 0 and text[lo - 1] in "+("), hi + (text[hi : hi + 1] == ")")


def _has_email(text: str) -> bool:
    """An email address, looked for at each of the first ``_AT_LIMIT`` "@"s: its local part
    (up to 64 characters) is walked back from the "@", and the pattern is matched from
    there. Past that many, the pattern searches the bounded view."""
    at_signs = positions(text, "@", word=False, limit=_AT_LIMIT + 1)
    if len(at_signs) > _AT_LIMIT:
        return _EMAIL.search(view(text)) is not None
    for i in at_signs:
        j = i
        while j > i - 65 and j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_.%+-"):
            j -= 1
        if j == i or j == i - 65 or (j > 0 and text[j - 1] == "/"):
            continue  # no local part, one too long, or a path ("a/b@c")
        m = _EMAIL.match(text, j, min(len(text), i + 700))
        if m and (m.end() < i + 700 or m.end() == len(text)):
            return True
    return False


def detect_pii(text: str) -> bool:
    """True when ``text`` holds an email address, or its bounded view (the first and last
    ``PII_SPAN`` characters) a phone number, card number or API key.

    For a text no longer than the view, the same answer as ``bool(find_pii(text))``,
    sooner: it stops at the first find, and the email and number patterns run only where an
    "@" or a run of digits is."""
    if "@" in text and _has_email(text):
        return True
    text = view(text, PII_SPAN)
    if _find_keys(text):
        return True
    for lo, hi in _runs_of(text):
        # a card has 13 digits or more: a shorter run cannot hold one (skip the counting)
        if hi - lo >= 13 and hi - lo - sum(text.count(c, lo, hi) for c in _SEP) >= 13:
            for m in _CARD.finditer(text, lo, hi):
                if _isolated(text, m.start(), m.end()) and _luhn(re.sub(r"\D", "", m.group())):
                    return True
        if not _PHONE_SHAPE.search(text, lo, hi):
            continue
        for pattern in _PHONES:
            for m in pattern.finditer(text, lo, hi):
                if 8 <= sum(c.isdigit() for c in m.group()) <= 15 and _isolated(text, *m.span()):
                    return True
    return False
