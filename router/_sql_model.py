"""The learned half of the SQL detector: a small logistic model over the prompt's words and
the rules' points, for the grey zone the rules leave.

``router._sql`` decides the clear cases (an SQL statement or a database error message
decides alone; a prompt with no SQL word at all is not SQL). For the rest it hands over its
:class:`Evidence` (the word set, the points for SQL, the points against for look-alikes) and
this module answers both modes from it: the model's probability against each mode's
threshold, except for look-alikes the rules veto (another query language, a CV), where the
rules' point thresholds keep the verdict. Weights and thresholds are ``sql_scorer.json``
in this package, read on first use (trained by ``bench/train_sql_scorer.py`` on the
development half only).

The model is linear in binary features: ``w:<word>`` for each word of the prompt that has
a weight (a set intersection and a few additions), and ``r:<name>=<value>`` for the rules'
evidence (net points and points in buckets, the penalty, the rules' two verdicts, an
engine named, a long prompt, a rewrite or translation whose object is not named as SQL).
Pure Python: scoring costs a few microseconds.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

from policies import ClassifierError

__all__ = [
    "WEIGHTS_FILE",
    "Evidence",
    "Scorer",
    "combine",
    "features",
    "load_scorer",
    "parse_scorer",
    "rule_features",
    "rule_verdicts",
    "verdicts",
]

WEIGHTS_FILE = "sql_scorer.json"


class Evidence(NamedTuple):
    """What the rules found in a prompt that no statement or error message decided."""

    words: frozenset[str]  # the lower-cased word set of the detector view
    score: int  # points for SQL
    penalty: int  # points against: look-alike tools (pandas 3, MongoDB 5...)
    short: bool  # at most 1,000 characters
    engine: bool  # an SQL engine is named
    moves: bool  # data moves into or out of an SQL engine
    statement: bool = False  # an SQL statement (decided by the rules)
    task: bool = False  # the request opens with a rewrite/translation not named as SQL
    analytics: bool = False  # tabular analytics beside a relational word, no look-alike


def rule_verdicts(ev: Evidence) -> tuple[bool, bool]:
    """The point thresholds: 4 (6 for long prompts) in the default mode; in the high-recall
    mode an engine name with one more point, or one point less for a long prompt."""
    needed = 4 if ev.short else 6
    needed_recall = 3 if ev.engine and ev.score >= 3 else needed - (not ev.short)
    if ev.score < needed_recall:
        return False, False
    net = ev.score - ev.penalty
    return net >= needed, net >= needed_recall


def rule_keys(ev: Evidence) -> tuple[tuple[str, object], ...]:
    """The rules' evidence as (name, value) pairs: net points and points (bucketed), the
    penalty, both rule verdicts, an engine named, a long prompt."""
    default, recall = rule_verdicts(ev)
    return (
        ("net", max(-6, min(10, ev.score - ev.penalty))),
        ("score", min(ev.score, 10)),
        ("penalty", ev.penalty),
        ("default", default),
        ("recall", recall),
        ("engine", ev.engine),
        ("long", not ev.short),
        ("task", ev.task),
    )


def rule_features(ev: Evidence) -> list[str]:
    """The ``r:`` features: ``r:net=3``, ``r:engine=True``..."""
    return [f"r:{k}={v}" for k, v in rule_keys(ev)]


def features(ev: Evidence) -> list[str]:
    """Every feature name of ``ev``: the rules' and ``w:<word>`` for each word (words
    without a weight are ignored when scoring)."""
    return rule_features(ev) + ["w:" + w for w in ev.words]


@dataclass(frozen=True)
class Scorer:
    """Weights and the probability thresholds of both modes."""

    bias: float
    weights: Mapping[str, float]
    default_threshold: float
    recall_threshold: float

    @functools.cached_property
    def _words(self) -> dict[str, float]:
        return {k[2:]: w for k, w in self.weights.items() if k.startswith("w:")}

    @functools.cached_property
    def _word_keys(self) -> frozenset[str]:
        return frozenset(self._words)

    @functools.cached_property
    def _rules(self) -> dict[tuple[str, object], float]:
        """The ``r:`` weights keyed as :func:`rule_keys` gives them (no string building)."""
        out: dict[tuple[str, object], float] = {}
        for name, w in self.weights.items():
            if name.startswith("r:"):
                key, _, value = name[2:].partition("=")
                out[key, value == "True" if value in ("True", "False") else int(value)] = w
        return out

    def probability(self, ev: Evidence) -> float:
        """P(SQL) for ``ev``: rule features by key, words by one set intersection."""
        rules = self._rules
        z = self.bias + sum(rules.get(k, 0.0) for k in rule_keys(ev))
        z += sum(map(self._words.__getitem__, ev.words & self._word_keys))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@functools.cache
def load_scorer() -> Scorer:
    """The shipped scorer (``router/sql_scorer.json``), read once on first use."""
    raw = resources.files("router").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
    return parse_scorer(raw, f"router/{WEIGHTS_FILE}")


def parse_scorer(raw: str, source: str) -> Scorer:
    """A :class:`Scorer` from its JSON text; ``source`` names the file in errors."""
    try:
        data = json.loads(raw)
        scorer = Scorer(
            float(data["bias"]),
            {str(k): float(w) for k, w in data["weights"].items()},
            float(data["default_threshold"]),
            float(data["recall_threshold"]),
        )
        scorer._rules  # noqa: B018 (parses the r: names: "r:net=x" is an error here)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ClassifierError(f"{source}: malformed SQL scorer ({exc!r})") from exc
    if not 0.0 <= scorer.recall_threshold <= scorer.default_threshold <= 1.0:
        raise ClassifierError(
            f"{source}: thresholds must satisfy 0 <= recall_threshold <= default_threshold "
            f"<= 1, got {scorer.recall_threshold} and {scorer.default_threshold}"
        )
    return scorer


VETO = 5  # a penalty this high (another query language, a CV) leaves the verdict to the rules


def combine(ev: Evidence, p: float, threshold: float, *, recall: bool = False) -> bool:
    """One mode's verdict: the rules' for a look-alike they veto (MongoDB, GraphQL, a CV:
    rare in training, so the model is not trusted there), else the model's probability
    ``p`` against ``threshold``. (Trusting the rules when well above their threshold was
    tried: it lowered out-of-fold precision on the development half.)"""
    if ev.penalty >= VETO:  # both modes: the default points (a job ad naming SQL stays out)
        return rule_verdicts(ev)[0]
    return p >= threshold


def verdicts(ev: Evidence) -> tuple[bool, bool]:
    """(default mode, high-recall mode): :func:`combine` with each mode's threshold; the
    high-recall mode also counts tabular analytics beside a relational word ("average order
    value per store, from the db"), which the default mode leaves to the scorer."""
    scorer = load_scorer()
    p = scorer.probability(ev)
    default = combine(ev, p, scorer.default_threshold)
    recall = default or ev.analytics or combine(ev, p, scorer.recall_threshold, recall=True)
    return default, recall
