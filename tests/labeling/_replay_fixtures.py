"""RouterBench-shaped logs for the replay/calibration tests (the stub scorer that reads
``d=`` from a prompt is ``tests.fakes.StubScorer``)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from policies import Policy, default_policy

MODELS = {
    "small": "mistralai/mistral-7b-chat",
    "medium": "mistralai/mixtral-8x7b-chat",
    "frontier": "gpt-4-1106-preview",
}


def write_outcomes(path: Path, rows: list[dict[str, object]]) -> Path:
    """A RouterBench-style CSV: prompt (list literal) + a 0/1 column per model."""
    columns = ["sample_id", "prompt", "eval_name", *MODELS.values()]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for i, row in enumerate(rows):
            record: dict[str, object] = {
                "sample_id": f"s{i}",
                "prompt": repr([row["prompt"]]),
                "eval_name": "synthetic",
            }
            for tier, model in MODELS.items():
                value = row.get(tier)
                record[model] = "" if value is None else value
            writer.writerow(record)
    return path


def synthetic_rows(n: int, seed: int, urgent_share: float = 0.1) -> list[dict[str, object]]:
    """Prompts with a complexity d; harder ones fail more often on cheaper tiers;
    ``urgent_share`` of them carry URGENT (a rule forces those to frontier)."""
    rng = np.random.default_rng(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        d = float(rng.beta(2, 3))
        urgent = rng.random() < urgent_share
        prompt = f"{'URGENT ' if urgent else ''}Question {seed}-{i}: pick an answer. d={d:.4f}"
        out.append(
            {
                "prompt": prompt,
                "small": int(rng.random() > d),
                "medium": int(rng.random() > d * 0.7),
                "frontier": int(rng.random() > d * 0.3),
            }
        )
    return out


def make_policy(*, cascade: bool = False, sticky: bool = False, urgent_rule: bool = True) -> Policy:
    """The default policy with thresholds medium 0.35 / frontier 0.60 (fixed here, so the
    hand-computed cases do not follow the shipped calibration), cascade off unless asked,
    with an URGENT -> frontier rule."""
    policy = default_policy()
    thresholds = {"medium": 0.35, "frontier": 0.60}
    update: dict[str, object] = {
        "classifier": policy.classifier.model_copy(update={"thresholds": thresholds}),
        "cascade": policy.cascade.model_copy(update={"enabled": cascade}),
        "conversations": policy.conversations.model_copy(update={"sticky": sticky}),
    }
    if urgent_rule:
        rule = {
            "name": "urgent",
            "match": {"regex": "URGENT"},
            "actions": {"force_tier": "frontier"},
        }
        data = policy.model_dump()
        data["overrides"] = [*data["overrides"], rule]
        policy = Policy.model_validate(data)
    return policy.model_copy(update=update)
