"""Train the SQL detector's grey-zone scorer (router/sql_scorer.json) on the DEV half only.

    python bench/train_sql_scorer.py            # cross-validate on dev, print the figures
    python bench/train_sql_scorer.py --write    # also write router/sql_scorer.json

Training data, all from the dev half of bench/detector_eval.py's split (the test half and
the fresh probes are never read here): the labeled ShareGPT/Arena prompts (real traffic,
unlabeled ones count as not SQL), defog's non-SQL questions, the hand-written NL requests,
Spider/defog prompts, the single-turn conversations of tests/data/sql_conversations, and
all of that folder's dev_extra.jsonl (tuning material, no test half).
Only the examples the rules leave to the model are used (no statement or error message,
and some SQL word): ``router.sql_training.sql_evidence`` gives their features exactly as routing
computes them. Logistic regression (scikit-learn, a dev/train dependency; router itself
only reads the JSON) with 5-fold cross-validation on dev picks C (1.0 unless another
beats it by more than 0.005) and the two thresholds:
the default mode's maximises the smaller F1 of the conversational and real-traffic dev rows;
the high-recall mode's is the lowest whose out-of-fold precision stays >= 0.9 on the
conversational rows and >= 0.85 on real traffic (see RECALL_PRECISION).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
import detector_eval as de  # noqa: E402

from router import (  # noqa: E402
    normalize_prompt,
    sql_training,  # noqa: E402
    window,
)

OUT = de.REPO / "router" / sql_training.WEIGHTS_FILE
GROUPS = {"sharegpt_arena": "real", "defog_idk": "real", "conv_sharegpt": "conv"}
GROUPS["conv_handwritten"] = GROUPS["dev_extra"] = "conv"
# The high-recall threshold keeps out-of-fold precision at or above these. Real traffic's
# floor is lower: its grey zone has few SQL prompts, so its precision is flat for long
# stretches (0.886 from 0.19 to 0.27 in the fifth pass) and a 0.9 floor flipped the
# threshold between 0.145 and 0.28 when one example was added; its recall did not move
# below 0.4, while the conversational recall did.
RECALL_PRECISION = {"conv": 0.9, "real": 0.85}


def _text(ex: de.Example) -> str | None:
    """The text the detector reads first: the last user turn (single-turn chats only)."""
    if not ex.messages:
        return window(ex.text)
    if len(ex.messages) != 1:
        return None  # multi-turn and system prompts: their context decides, not the model
    prompt = normalize_prompt(list(ex.messages), max_chars=10**9)
    return prompt.last_user.text if prompt.last_user else None


def load_dev() -> list[tuple[str, str, bool, object]]:
    """(group, text, label, evidence) for every dev-half example; evidence is a bool where
    the rules decide alone."""
    rows = [(name, load()) for name, load, _ in de.ROWS if name != "bare_questions"]
    rows += [(name, load()) for name, load in de.CONVERSATION_ROWS]
    rows += [("dev_extra", de.conversation_examples("dev_extra"))]  # all of it is dev material
    out, seen = [], set()
    for name, examples in rows:
        for ex in examples:
            text = _text(ex)
            if text is None or (name != "dev_extra" and de.split_of(ex.key) != "dev"):
                continue
            group = GROUPS.get(name, "bench")
            if (group, text) in seen:
                continue
            seen.add((group, text))
            out.append((group, text, ex.sql, sql_training.sql_evidence(text)))
    return out


def _matrix(evs: Sequence[sql_training.Evidence], vocab: dict[str, int]) -> np.ndarray:
    x = np.zeros((len(evs), len(vocab)), dtype=np.float32)
    for i, ev in enumerate(evs):
        for f in sql_training.features(ev):
            j = vocab.get(f)
            if j is not None:
                x[i, j] = 1.0
    return x


def _vocab(evs: Sequence[sql_training.Evidence], min_df: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ev in evs:
        for f in set(sql_training.features(ev)):
            counts[f] = counts.get(f, 0) + 1
    names = sorted(f for f, n in counts.items() if n >= min_df or f.startswith("r:"))
    return {f: i for i, f in enumerate(names)}


def _pr(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(pred & gold))
    p = tp / max(1.0, float(np.sum(pred)))
    r = tp / max(1.0, float(np.sum(gold)))
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class GreyZone:
    """The dev examples the model decides, and the rules' verdicts on the rest."""

    evs: list[sql_training.Evidence]
    y: np.ndarray
    groups: np.ndarray
    decided: list[tuple[str, bool, bool]]  # (group, label, the rules' verdict)

    def pr(self, pred: np.ndarray, group: str) -> tuple[float, float, float]:
        """P/R/F1 of one group's dev examples: ``pred`` on the grey zone, rules elsewhere."""
        mask = self.groups == group
        extra = [(v, lab) for g, lab, v in self.decided if g == group]
        extra_pred = np.array([v for v, _ in extra], dtype=bool)
        extra_gold = np.array([lab for _, lab in extra], dtype=bool)
        return _pr(
            np.concatenate([pred[mask], extra_pred]), np.concatenate([self.y[mask], extra_gold])
        )

    def verdicts(self, p: np.ndarray, t: float, recall: bool = False) -> np.ndarray:
        """Verdicts as routing combines rules and model (``sql_training.combine``)."""
        pairs = zip(self.evs, p, strict=True)
        return np.array([sql_training.combine(ev, float(q), t, recall=recall) for ev, q in pairs])


def grey_zone(data: list[tuple[str, str, bool, object]]) -> GreyZone:
    grey, decided = [], []
    for g, _, lab, ev in data:
        if isinstance(ev, sql_training.Evidence) and not ev.statement:
            grey.append((g, lab, ev))
        elif isinstance(ev, sql_training.Evidence):  # a statement, unless a look-alike's
            decided.append((g, lab, ev.penalty == 0))
        else:  # an error message, or no SQL word
            decided.append((g, lab, bool(ev)))
    y = np.array([lab for _, lab, _ in grey], dtype=bool)
    return GreyZone([ev for *_, ev in grey], y, np.array([g for g, _, _ in grey]), decided)


C_USUAL = 1.0  # the regularisation every shipped scorer so far was chosen with
C_GAIN = 0.005  # another C must beat C_USUAL by this much (the noise of 5 folds)


def cross_validate(zone: GreyZone, x: np.ndarray, verbose: bool) -> tuple[float, float, np.ndarray]:
    """(C, default threshold, out-of-fold probabilities) maximising the smaller F1; another C
    than ``C_USUAL`` only when it gains more than ``C_GAIN`` (ties within the noise of 5
    folds flipped C, and both thresholds with it, when one example was added)."""
    best: tuple[float, float, float, np.ndarray] | None = None
    for c in (C_USUAL, 0.1, 0.3, 3.0):
        oof = np.zeros(len(zone.y))
        folds = StratifiedKFold(5, shuffle=True, random_state=14)
        for train, test in folds.split(x, zone.y):
            model = LogisticRegression(C=c, max_iter=2000).fit(x[train], zone.y[train])
            oof[test] = model.predict_proba(x[test])[:, 1]
        mine: tuple[float, float, float, np.ndarray] | None = None
        for t in np.arange(0.1, 0.85, 0.025):
            f1s = [zone.pr(zone.verdicts(oof, t), g)[2] for g in ("conv", "real")]
            if mine is None or min(f1s) > mine[0]:
                mine = (min(f1s), c, float(t), oof)
            if verbose:
                print(f"C={c} t={t:.3f} conv F1 {f1s[0]:.3f} real F1 {f1s[1]:.3f}")
        assert mine is not None
        if best is None or mine[0] > best[0] + C_GAIN:
            best = mine
    assert best is not None
    return best[1], best[2], best[3]


def recall_threshold(zone: GreyZone, oof: np.ndarray, t_default: float) -> float:
    """The lowest threshold whose out-of-fold precision stays >= ``RECALL_PRECISION``."""
    t_recall = t_default
    for t in np.arange(t_default, 0.02, -0.01):
        pred = zone.verdicts(oof, t, recall=True)
        if any(zone.pr(pred, g)[0] < floor for g, floor in RECALL_PRECISION.items()):
            break
        t_recall = float(t)
    return t_recall


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {OUT}")
    parser.add_argument("--min-df", type=int, default=3, help="keep words in >= N examples")
    parser.add_argument("--verbose", action="store_true", help="print every C and threshold")
    args = parser.parse_args(argv)
    data = load_dev()
    zone = grey_zone(data)
    print(f"dev examples {len(data)}: grey zone {len(zone.evs)} ({int(zone.y.sum())} SQL)")
    rules = np.array([sql_training.rule_verdicts(ev)[0] for ev in zone.evs], dtype=bool)
    for g in ("conv", "real"):
        p, r, f = zone.pr(rules, g)
        print(f"rules alone, {g}: P {p:.3f} R {r:.3f} F1 {f:.3f}")
    vocab = _vocab(zone.evs, args.min_df)
    x = _matrix(zone.evs, vocab)
    c, t_default, oof = cross_validate(zone, x, args.verbose)
    t_recall = recall_threshold(zone, oof, t_default)
    for name, t in (("default", t_default), ("recall", t_recall)):
        for g in ("conv", "real"):
            p, r, f = zone.pr(zone.verdicts(oof, t, name == "recall"), g)
            print(f"chosen C={c} {name} t={t:.3f} {g} out-of-fold P {p:.3f} R {r:.3f} F1 {f:.3f}")
    model = LogisticRegression(C=c, max_iter=2000).fit(x, zone.y)
    weights = {f: round(float(w), 4) for f, w in zip(vocab, model.coef_[0], strict=True)}
    weights = {f: w for f, w in weights.items() if abs(w) >= 0.01}
    print(f"{len(weights)} weights kept of {len(vocab)}")
    if args.write:
        scorer = {
            "about": "SQL grey-zone scorer, bench/train_sql_scorer.py (dev half only)",
            "C": c,
            "bias": round(float(model.intercept_[0]), 4),
            "default_threshold": round(t_default, 3),
            "recall_threshold": round(t_recall, 3),
            "weights": dict(sorted(weights.items())),
        }
        OUT.write_text(json.dumps(scorer, indent=0) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
