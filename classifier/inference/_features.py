"""Structure features of a prompt: length, questions, code/math/option shape (numpy only).

What transfers between benchmarks is mostly the *shape* of a request: how long it is,
how many questions and lines it has, whether it carries code, formulas, numbers or
answer options. These features are cheap (C-level ``str.count`` and ``len``; shares are
taken on a bounded window of the head and tail, so a 40 k-character prompt costs the
same as a 4 k one: a few microseconds) and feed the feature head
(:mod:`classifier.inference._head`) next to the student's outputs.

The list and order are part of a head artifact: :data:`FEATURE_NAMES` is stored with the
weights and checked on load, so a head never reads features it was not trained on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["FEATURE_NAMES", "prompt_features"]

FEATURE_NAMES = (
    "log_chars",
    "log_words",
    "log_lines",
    "log_questions",
    "digit_share",
    "non_ascii_share",
    "upper_share",
    "math_symbol_share",
    "bracket_share",
    "log_code_marks",
    "log_option_lines",
    "mean_word_len",
    "log_latex_marks",
    "log_sentences",
    "log_blank_lines",
)
_WINDOW_HEAD, _WINDOW_TAIL = 3000, 1000
_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MATH = "=+*/^<>%"
_BRACKETS = "(){}[]"
_CODE_MARKS = ("```", "def ", "return ", "();", "{\n", "    ", "\t", "import ", "#include")
_LATEX_MARKS = ("\\frac", "\\sqrt", "$", "\\(", "\\[", "^{", "_{")
_OPTION_MARKS = tuple(f"\n{c}{s}" for c in "ABCDEFGHIJ" for s in (". ", ") ", ": "))


def _window(text: str) -> str:
    if len(text) <= _WINDOW_HEAD + _WINDOW_TAIL:
        return text
    return text[:_WINDOW_HEAD] + "\n" + text[-_WINDOW_TAIL:]


def _count(text: str, marks: Sequence[str]) -> int:
    return sum(text.count(m) for m in marks)


def _one(text: str) -> list[float]:
    window = _window(text)
    n = max(len(window), 1)
    words = len(window.split())
    scale = len(text) / n  # counts on the window, scaled to the whole prompt
    log = math.log1p
    return [
        log(len(text)),
        log(words * scale),
        log(text.count("\n")),
        log(text.count("?")),
        _count(window, _DIGITS) / n,
        (len(window.encode("utf-8")) - len(window)) / n,
        _count(window, _UPPER) / n,
        _count(window, _MATH) / n,
        _count(window, _BRACKETS) / n,
        log(_count(window, _CODE_MARKS) * scale),
        log(_count("\n" + window, _OPTION_MARKS)),
        len(window) / max(words, 1) / 10.0,
        log(_count(window, _LATEX_MARKS) * scale),
        log(_count(window, (". ", ".\n", "! ", "。")) * scale),
        log(text.count("\n\n")),
    ]


def prompt_features(texts: Sequence[str]) -> NDArray[np.float64]:
    """``(len(texts), len(FEATURE_NAMES))`` structure features, in :data:`FEATURE_NAMES` order."""
    if isinstance(texts, str):
        raise TypeError("prompt_features takes a list of texts, not one string")
    out = np.empty((len(texts), len(FEATURE_NAMES)), dtype=np.float64)
    for i, text in enumerate(texts):
        out[i] = _one(text)
    return out
