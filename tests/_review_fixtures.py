"""Builders for registry review tests: labeled data, RouterBench rows, TF-IDF versions.

Prompts follow a synthetic rule (proofs and long texts need the frontier tier,
code/SQL the medium one, the rest the small one). TF-IDF models are trained on it
(``good``), on labels with half of them scrambled (``noisy``), or on the rule turned
upside down (``inverted``), so reviews of them have known winners. All tiny: training
takes milliseconds, scoring microseconds.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

TIERS = ("small", "medium", "frontier")
_EASY = [
    "hello there",
    "thanks a lot",
    "what is the capital of france",
    "tell me a joke",
    "summarize this email please",
    "translate good morning to spanish",
    "hi how are you",
]
_MID = [
    "write a python function to sort a list",
    "fix the bug in this sql query select",
    "explain this javascript error",
    "select name from users where id = 3 join orders",
    "refactor the python class to use dataclasses",
    "why does my code throw a null error",
]
_HARD = [
    "prove the theorem that there are infinitely many primes",
    "derive the integral of x squared times sin x and prove convergence",
    "design a distributed consensus protocol and prove its safety",
    "prove that the derivative of the determinant is the adjugate trace",
]
_MODELS = {
    "small": "mistralai/mistral-7b-chat",
    "medium": "mistralai/mixtral-8x7b-chat",
    "frontier": "gpt-4-1106-preview",
}
_COST = {"small": 0.0001, "medium": 0.0003, "frontier": 0.01}


def prompts(n: int, seed: int) -> list[tuple[str, str]]:
    """(text, tier) pairs: a template of the tier plus random filler words."""
    rng = random.Random(seed)
    pools = {"small": _EASY, "medium": _MID, "frontier": _HARD}
    out = []
    for i in range(n):
        tier = TIERS[i % 3]
        text = f"{rng.choice(pools[tier])} {rng.choice(['now', 'today', 'quickly', 'ok'])} {i}"
        out.append((text, tier))
    return out


def write_labels(path: Path, n_train: int = 240, n_test: int = 150) -> Path:
    import polars as pl

    rows = []
    for split, n, seed in (("train", n_train, 1), ("test", n_test, 2)):
        for i, (text, tier) in enumerate(prompts(n, seed)):
            source = "chat" if i % 2 else "bench"
            rows.append(
                {
                    "text": text,
                    "label": tier,
                    "label_index": TIERS.index(tier),
                    "source": source,
                    "split": split,
                }
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows).write_parquet(path)
    return path


def write_routerbench(folder: Path, n: int = 90) -> Path:
    """``folder/routerbench/tiny_test.csv``: each tier's model answers its own tier and up."""
    target = folder / "routerbench"
    target.mkdir(parents=True, exist_ok=True)
    models = list(_MODELS.values())
    head = ["sample_id", "prompt", "eval_name", *models]
    head += [f"{m}|total_cost" for m in models] + [f"{m}|model_response" for m in models]
    with (target / "tiny_test.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(head)
        for i, (text, tier) in enumerate(prompts(n, 3)):
            need = TIERS.index(tier)
            correct = [int(TIERS.index(t) >= need) for t in _MODELS]
            writer.writerow(
                [
                    f"tiny.{i}",
                    repr([text]),
                    "tiny",
                    *correct,
                    *(_COST[t] for t in _MODELS),
                    *(["['ok']"] * len(models)),
                ]
            )
    return folder


def train_tfidf(folder: Path, kind: str = "good", seed: int = 0) -> Path:
    """An artifact directory holding ``tfidf_lr.json`` (``kind``: good, noisy, inverted)."""
    from classifier.training import TfidfTrainer

    rng = random.Random(seed)
    texts, labels = zip(*prompts(240, 1), strict=True)
    if kind == "noisy":
        labels = tuple(rng.choice(TIERS) if rng.random() < 0.5 else t for t in labels)
    elif kind == "inverted":
        labels = tuple(TIERS[2 - TIERS.index(t)] for t in labels)
    trainer = TfidfTrainer(TIERS, min_df=1, seed=seed).fit(list(texts), list(labels))
    folder.mkdir(parents=True, exist_ok=True)
    trainer.save(folder / "tfidf_lr.json", metadata={"kind": kind})
    return folder
