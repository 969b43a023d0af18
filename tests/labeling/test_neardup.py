"""Near-duplicate grouping: blockwise similarity, merging, the card, MiniLM on paraphrases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import labeling._neardup as neardup
from labeling import LabelConfig, run_labeling
from tests.labeling._records import openai_record, write_jsonl


def brute_force_components(vectors: np.ndarray, threshold: float) -> list[set[int]]:
    n = len(vectors)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    sims = vectors @ vectors.T
    for i in range(n):
        for j in range(i + 1, n):
            if sims[i, j] >= threshold:
                parent[root(i)] = root(j)
    groups: dict[int, set[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), set()).add(i)
    return sorted(groups.values(), key=min)


def as_sets(labels: np.ndarray) -> list[set[int]]:
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(i)
    return sorted(groups.values(), key=min)


def test_blockwise_components_equal_the_full_matrix() -> None:
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(6, 16))
    vectors = np.repeat(centers, 5, axis=0) + 0.05 * rng.normal(size=(30, 16))
    vectors = rng.permutation(vectors)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    got = neardup.near_duplicate_components(vectors.astype(np.float32), 0.95, block=4)
    assert as_sets(got) == brute_force_components(vectors, 0.95)
    assert len(as_sets(got)) == 6


def test_near_duplicates_merge_into_the_earliest_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = {
        "How do I reverse a list in Python?": [1.0, 0.0, 0.0],
        "What is the capital of France?": [0.0, 1.0, 0.0],
        "How can I reverse a Python list?": [0.99, 0.141, 0.0],
        "Write a haiku about autumn.": [0.0, 0.0, 1.0],
    }

    def fake_embed(batch: list[str]) -> np.ndarray:
        vectors = np.array([texts[t] for t in batch], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    monkeypatch.setattr(neardup, "embed_texts", fake_embed)
    records = [openai_record(t) for t in texts] + [
        openai_record("How can I reverse a Python list?")
    ]
    records[2] = openai_record("How can I reverse a Python list?", feedback=-1)
    path = write_jsonl(tmp_path / "l.jsonl", records)
    result = run_labeling([path], tmp_path / "out", LabelConfig(near_dup=0.95), workers=0)
    labels = pl.read_parquet(result.labels_path)
    merged = labels.filter(pl.col("text") == "How do I reverse a list in Python?").row(
        0, named=True
    )
    assert merged["n_records"] == 3 and "feedback" in merged["voters"]
    assert labels.height == 3
    card = result.card
    assert card["near_duplicates"]["merged_groups"] == 1
    assert card["near_duplicates"]["records_in_merged_groups"] == 2
    assert card["counts"]["duplicates"] == 2 and card["counts"]["holds"]
    assert "Near-duplicate groups" in (tmp_path / "out" / "datacard.md").read_text()


def test_near_dup_threshold_is_checked() -> None:
    from policies import LabelingError

    with pytest.raises(LabelingError, match="near_dup"):
        LabelConfig(near_dup=1.5)


@pytest.mark.slow
def test_minilm_merges_paraphrases_not_unrelated_prompts() -> None:
    pytest.importorskip("sentence_transformers")
    texts = [
        "How do I reverse a list in Python?",
        "What is the capital of France?",
        "How can I reverse a Python list?",
        "Write a haiku about autumn leaves.",
        "Explain how vaccines train the immune system.",
    ]
    labels = neardup.near_duplicate_components(neardup.embed_texts(texts), 0.9)
    assert as_sets(labels) == [{0, 2}, {1}, {3}, {4}]
