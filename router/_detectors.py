"""Fast prompt detectors for routing override rules: SQL, code, math and PII.

Each detector reads the bounded view of a message (its first and last ``SCAN_SPAN``
characters, ``router._textscan.view``) and answers in microseconds, in pure ``re`` with anchored
matching (``router._textscan``): linear in the text length whatever the input. SQL lives in
``router._sql`` and PII in ``router._pii``; code and math are here, with the registry the
override matchers look detectors up in. ``docs/detectors.md`` has the measured precision
and recall of every detector.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from router._pii import PiiMatch, detect_pii, find_pii
from router._sql import detect_sql
from router._textscan import ASK_SPAN, anchor, at, detector_view, positions, words_of, wordset

__all__ = [
    "DETECTORS",
    "PiiMatch",
    "detect_code",
    "detect_math",
    "detect_pii",
    "detect_sql",
    "find_pii",
]


# --- code ------------------------------------------------------------------------------------
_CODE_SOURCES = (  # (points, pattern); each starts with its anchor, matched on the original
    (3, r"def\s+\w+\s*\([^)\n]{0,300}\)\s*(?:->\s*[^:\n]{1,80})?:"),
    (3, r"function\s*\*?\s*[\w$]*\s*\([^)\n]{0,300}\)\s*\{"),
    (3, r"class\s+[A-Z]\w*(?:\s*\([^)\n]{0,100}\))?\s*[:{]|class\s+[A-Z]\w*\s+(?:extends|impl)"),
    (2, r"import\s+(?:[\w.]+(?:\s+as\s+\w+)?|\{[^}\n]{0,200}\}\s+from|\*\s+as)\s*[;\n]"),
    (3, r"#include\s*[<\"]"),
    (3, r"public\s+(?:static\s+)?(?:final\s+)?(?:class|void|int|String|static|async|override)\b"),
    (3, r"fn\s+\w+\s*(?:<[^>\n]{0,80}>)?\s*\("),
    (3, r"func\s+(?:\([^)\n]{0,80}\)\s*)?\w+\s*\("),
    (3, r"const\s+[\w$]+\s*=\s*(?:async\s*)?(?:\([^)\n]{0,200}\)|[\w$]+)\s*=>"),
    (2, r"const\s+[\w$]+\s*(?::\s*[\w<>\[\]]+\s*)?=\s*\S"),
    (1, r"let\s+(?:mut\s+)?[a-z_]\w*\s*(?::\s*\w+\s*)?=\s*[\w\[{(\"']"),
    (3, r"console\.(?:log|error|warn)\("),
    (3, r"System\.(?:out|err)\.print"),
    (3, r"<\?php"),
    (3, r"std::\w"),
    (1, r"print\(\s*[\w\"'f]"),
    (2, r"</?(?:div|span|html|body|script|style|ul|li|table|tr|td|form|button)\b[^<>]{0,200}>"),
    (3, r"Traceback \(most recent call last\)"),
    (3, r"if __name__\s*==\s*['\"]__main__['\"]"),
)
_CODE_SHAPES = tuple(  # (gate word, anchor, pattern, points)
    (re.sub(r"[^#\w].*", "", anchor(p).lower(), flags=re.S), anchor(p), re.compile(p), n)
    for n, p in _CODE_SOURCES
)
_ERROR_WORD = re.compile(r"Error|Exception")
_ERROR_NAME = re.compile(r"(?:Error|Exception)(?::|\s+in\b|\s*\()")  # "TypeError: ..."
_LANGS = wordset(
    "python javascript typescript java c++ c# golang rust ruby php kotlin swift scala bash "
    "powershell perl haskell lua dart elixir julia matlab react nodejs vue angular django "
    "flask html css sql js ts jsx tsx vba verilog solidity cuda"
)
_CODE_WORDS = wordset(
    "code function functions class method program script regex snippet algorithm api "
    "endpoint loop array variable compile debug bug exception library module json string "
    "integer list dictionary recursion git npm pip runtime syntax implement refactor cli"
)
_CODE_NOUNS = tuple(
    (n.split()[0], n)
    for n in "code|function|class|method|program|regex|snippet|algorithm|unit test|script|"
    "implementation|test cases".split("|")
)
_CODE_ASK = re.compile(  # right before a code noun: "write a", "fix this", "write a python"
    r"\b(?:write|create|implement|generate|give|build|develop|code|fix|debug|refactor|"
    r"optimi[sz]e|convert|translate|port|rewrite|explain|complete|review|modify|improve)\s+"
    r"(?:me\s+)?(?:(?:a|an|the|this|that|my|some|following|below|above|same|sample|simple|"
    r"basic|working|full|complete|clean|small|short|recursive|efficient)\s+){0,3}"
    r"(?P<lang>(?:python|javascript|typescript|java|c\+\+|c#|go|golang|rust|ruby|php|kotlin|"
    r"swift|scala|bash|shell|powershell|perl|lua|dart|node(?:\.?js)?|react|vue|sql|js|ts|r|"
    r"matlab|vba|google\s+apps)\s+)?\Z"
)


def _asks_for_code(s: str, words: frozenset[str]) -> bool:
    for head, noun in _CODE_NOUNS:
        for i in positions(s, noun, limit=8) if head in words else ():
            m = _CODE_ASK.search(s, max(0, i - 80), i)
            # "write a script" is mostly a video script; "write a python script" is code
            if m and (m.group("lang") or noun not in ("script", "program")):
                return True
    return False


def detect_code(text: str) -> bool:
    """True when a prompt shows or asks for code: fences, tracebacks, syntax, requests."""
    if "```" in text:  # a fence anywhere decides: one C-level scan of the whole text
        return True
    text = detector_view(text)
    braces = text.count(";\n") + text.count("{\n") >= 3
    words, score = words_of(text), 0
    for gate, lead, pattern, points in _CODE_SHAPES:
        if (not gate or gate in words) and at(text, (lead,), pattern):
            score += points
            if score >= 3:
                return True
    if ("Error" in text or "Exception" in text) and any(
        m.start() and text[m.start() - 1].isalpha() and _ERROR_NAME.match(text, m.start())
        for m in _ERROR_WORD.finditer(text, 0, 20_000)
    ):
        return True  # TypeError: ..., NullPointerException in ...
    if _asks_for_code(text.lower(), words):
        return True
    score += 2 * (not words.isdisjoint(_LANGS)) + (not words.isdisjoint(_CODE_WORDS))
    return score + braces >= 3


# --- math ------------------------------------------------------------------------------------
_LATEX = re.compile(
    r"\\(?:frac|dfrac|sqrt|int|iint|oint|sum|prod|lim|cdot|times|div|pi|theta|alpha|beta|gamma|"
    r"lambda|sigma|mu|infty|leq?|geq?|neq|approx|binom|log|ln|sin|cos|tan|partial|nabla|vec|"
    r"mathbb|mathrm|left|right|begin\{(?:equation|align|cases|pmatrix|bmatrix))\b"
)
_INLINE_MATH = re.compile(r"\$[^$\n]{0,200}[\\^_=][^$\n]{0,200}\$")
_EQUATION = re.compile(  # near an "=", "^" or "²": 2x + 3 = 7, x^2, f(x) =, y = 3x - 1
    # (the alternatives after a letter share its "\b[a-z]\s*": one test per position)
    r"\d\s*[a-z]\b|\b[a-z]\s*(?:\^|\*\*|[²³]|[+\-*/]\s*\d|=\s*-?\d|\(\s*[a-z]\s*\))"
)
_ARITHMETIC = re.compile(r"\d\s?[+*×÷^]\s?\(?\d")  # tried just before each operator
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_MATH_WORDS = wordset(
    "solve prove integral integrate derivative differentiate probability equation "
    "equations inequality polynomial determinant eigenvalue eigenvalues factorial theorem "
    "logarithm quadratic calculus divisible gcd lcm hypotenuse circumference perimeter "
    "permutations integers"
)
_MATH_WEAK = wordset(
    "sum product average mean median percent percentage ratio remainder prime fraction "
    "area volume radius triangle angle total calculate value greatest least cost profit "
    "twice half times altogether remaining each per"
)
_NUMBER_WORDS = wordset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty hundred thousand half twice double triple dozen once third quarter"
)
_QUESTION_WORDS = ("how", "what", "find", "compute", "calculate", "express")
_QUANTITY_Q = re.compile(
    r"(?:how\s+(?:many|much|old|long|far|fast|tall|often)|what\s+(?:percent|fraction)|"
    r"(?:what\s+(?:is|was|will\s+be)|find|compute|calculate)\s+the\s+(?:value|sum|difference|"
    r"total|average|mean|probability|ratio|area|perimeter|volume|product|remainder|least|"
    r"greatest|smallest|largest|number|cost|price)|express\s+your\s+answer)\b"
)


def detect_math(text: str) -> bool:
    """True for LaTeX, equations, and quantitative questions or word problems with numbers."""
    text = detector_view(text)  # a long prompt: its head and tail
    if ("\\" in text and _LATEX.search(text)) or "[asy]" in text:
        return True
    if "$" in text and _INLINE_MATH.search(text):
        return True
    if len(text) > 2 * ASK_SPAN:  # the question sits at the head or the tail
        text = text[:ASK_SPAN] + "\n" + text[-ASK_SPAN:]
    words, lower = words_of(text), text.lower()
    first = _NUMBER.search(text)
    numbers = (
        len(words & _NUMBER_WORDS)
        + (first is not None)
        + (first is not None and _NUMBER.search(text, first.end() + 1) is not None)
    )
    if not numbers:
        return False
    score = 2 * (not words.isdisjoint(_MATH_WORDS)) + (len(words & _MATH_WEAK) >= 2)
    score += (numbers >= 2) + 2 * (
        not words.isdisjoint(_QUESTION_WORDS) and at(lower, _QUESTION_WORDS, _QUANTITY_Q)
    )
    if score >= 3:  # the equation and arithmetic checks below only add points: skip them
        return True
    eqs = (i for op in "=^²" for i in positions(lower, op, word=False))
    score += 2 * any(_EQUATION.search(lower, max(0, i - 30), i + 30) for i in eqs)
    if score >= 3 or score == 0:  # 0: arithmetic (2 points) cannot reach 3
        return score >= 3
    ops = (i for op in "+*×÷^" for i in positions(text, op, word=False) if i >= 1)
    return any(
        _ARITHMETIC.match(text, i - min(i, 2)) or _ARITHMETIC.match(text, i - 1) for i in ops
    )


DETECTORS: dict[str, Callable[[str], bool]] = {
    "sql": detect_sql,
    "code": detect_code,
    "math": detect_math,
    "pii": detect_pii,
}
