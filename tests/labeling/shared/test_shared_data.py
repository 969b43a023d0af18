"""The shared-data training set on tiny fixtures shaped like ../shared/data."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from classifier import LABEL_COLUMNS, read_label_metadata, shared_data_dir
from labeling.shared import SharedDataConfig, SoftLabelConfig, build_shared_dataset
from labeling.shared._soft_labels import soft_labels
from policies import LabelingError

SMALL, MEDIUM, FRONTIER = (
    "mistralai/mistral-7b-chat",
    "mistralai/mixtral-8x7b-chat",
    "gpt-4-1106-preview",
)
RB_MODELS = (SMALL, MEDIUM, FRONTIER, "meta/llama-2-70b-chat")
SM7_MODELS = ("m1", "m2", "m3")
FEW_SHOT = "Q: demo one?\nA) x\nB) y\nAnswer:\nA\n\nQ: demo two?\nA) x\nB) y\nAnswer:\nB\n\n"


def _rb_row(i: int, question: str, outcomes: tuple[int, ...], eval_name: str) -> dict[str, str]:
    prompt = question if eval_name == "mbpp" else FEW_SHOT + question
    row = {"": str(i), "sample_id": f"{eval_name}.{i}", "prompt": repr([prompt])}
    row["eval_name"] = eval_name
    for model, ok in zip(RB_MODELS, outcomes, strict=True):
        row[model] = str(float(ok))
        row[f"{model}|model_response"] = repr(["A"])
        row[f"{model}|total_cost"] = "0.001"
    row["oracle_model_to_route_to"] = SMALL
    return row


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


MBPP_SHARED = "Write a python function to count the vowels of a given string."
MBPP_TEST = "Write a python function to reverse the words of a sentence quickly."


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "shared"
    (root / "routerbench").mkdir(parents=True)
    easy = (1, 1, 1, 1)
    hard = (0, 0, 1, 0)
    train = [
        _rb_row(i, f"Which planet number {i} is the largest one here?\nA) a\nB) b", o, "arc")
        for i, o in enumerate([easy, hard, easy, (0, 1, 1, 1), hard, easy, (0, 0, 0, 0)])
    ]
    train.append(_rb_row(50, MBPP_SHARED, hard, "mbpp"))
    _write_csv(root / "routerbench" / "mix_train.csv", train)
    test = [
        _rb_row(90, "Which gas do plants take in from the air at day?\nA) a\nB) b", easy, "arc"),
        _rb_row(91, MBPP_TEST, hard, "mbpp"),
    ]
    _write_csv(root / "routerbench" / "mix_test.csv", test)
    sm7 = root / "small_models7"
    sm7.mkdir()
    gen = [
        {"question": f'"""\n{MBPP_SHARED}\nassert f("ab") == 1\n"""\n', "scores": _scores(0.1)},
        {"question": f'"""\n{MBPP_TEST}\nassert g("a b") == "b a"\n"""\n', "scores": _scores(0.2)},
        {"question": "Sum the digits of 12345 and explain.", "scores": _scores(0.9)},
    ]
    (sm7 / "mbpp.json").write_text(json.dumps(gen), encoding="utf-8")
    gsm = [
        {"question": f"Tom has {n} apples and eats two. How many?", "scores": _scores(s)}
        for n, s in ((3, 1.0), (5, 0.0), (7, 0.5))
    ]
    (sm7 / "gsm8k-train.json").write_text(json.dumps(gsm), encoding="utf-8")
    arena = root / "routerarena_cached"
    arena.mkdir()
    for model, score in (("claude-3-haiku-20240307", 0.0), ("gemini-2.0-flash-001", 1.0)):
        row = {
            "global_index": "MMLUPro_math_1",
            "question": "Prove that 2+2=4 in Peano.",
            "evaluation_result": {"score": score},
        }
        (arena / f"{model}.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    hard_dir = root / "arena_hard_questions"
    hard_dir.mkdir()
    rows = [
        {
            "uid": "1",
            "category": "hard_prompt",
            "subcategory": "coding",
            "prompt": "Write a lock-free queue in Rust with tests. Mail me at a@b.com",
        }
    ]
    (hard_dir / "arena-hard-v2.0_question.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    share = root / "sharegpt_prompts"
    share.mkdir()
    lines = [
        {"id": f"s{i}", "prompt": f"Write a short poem about item {i}.", "n_turns": 2}
        for i in range(3)
    ]
    (share / "sharegpt_v3_first_turn_prompts.jsonl").write_text(
        "\n".join(json.dumps(r) for r in lines) + "\n", encoding="utf-8"
    )
    return root


def _scores(value: float) -> dict[str, float]:
    return dict.fromkeys(SM7_MODELS, value)


def _build(data_dir: Path, out: Path, **config: object) -> pl.DataFrame:
    path = build_shared_dataset(out, data_dir, SharedDataConfig(**config))  # type: ignore[arg-type]
    return pl.read_parquet(path)


def test_contract_columns_and_soft_labels(data_dir: Path, tmp_path: Path) -> None:
    frame = _build(data_dir, tmp_path / "out")
    for name, (dtype, _meaning) in LABEL_COLUMNS.items():
        assert frame.schema[name] == dtype, name
    tiers = read_label_metadata(tmp_path / "out" / "labels.parquet").tiers
    assert tiers == ("small", "medium", "frontier")
    probs = np.array(frame["tier_probs"].to_list())
    assert probs.shape[1] == 3
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert (frame["label_index"].to_numpy() == probs.argmax(axis=1)).all()
    assert set(frame["label"]) <= {"small", "medium", "frontier"}
    assert (tmp_path / "out" / "datacard.md").read_text().startswith("# Shared-data training set")
    card = json.loads((tmp_path / "out" / "datacard.json").read_text())
    assert card["counts"]["rows"] == frame.height


def test_routerbench_test_rows_and_their_twins_are_test(data_dir: Path, tmp_path: Path) -> None:
    frame = _build(data_dir, tmp_path / "out")
    test_texts = frame.filter(pl.col("split") == "test")["text"].to_list()
    assert any(t.startswith("Which gas do plants") for t in test_texts)
    # the small_models7 copy of a RouterBench test question merged into it: never trained on
    twin = frame.filter(pl.col("text").str.contains("reverse the words"))
    assert twin.height == 1 and twin["split"][0] == "test" and twin["n_records"][0] == 2


def test_dedupe_across_sources_and_fewshot_cut(data_dir: Path, tmp_path: Path) -> None:
    frame = _build(data_dir, tmp_path / "out")
    shared = frame.filter(pl.col("text") == MBPP_SHARED)
    assert shared.height == 1
    assert shared["voters"][0].to_list() == ["routerbench_outcomes", "small_models7_scores"]
    assert not frame["text"].str.contains("demo one").any()
    assert frame["group_id"].is_unique().all()


def test_labels_follow_outcomes(data_dir: Path, tmp_path: Path) -> None:
    frame = _build(data_dir, tmp_path / "out")
    gsm = frame.filter(pl.col("family") == "gsm8k").sort("text")
    p_small = [p[0] for p in gsm["tier_probs"].to_list()]
    # 3 apples: all small models right; 5: all wrong; 7: half
    assert p_small[0] > p_small[2] > p_small[1]
    hard = frame.filter(pl.col("family") == "arena_hard")
    assert hard["label"].to_list() == ["frontier"]
    assert "<EMAIL>" in hard["text"][0]


def test_deterministic(data_dir: Path, tmp_path: Path) -> None:
    first = _build(data_dir, tmp_path / "a")
    second = _build(data_dir, tmp_path / "b")
    assert first.equals(second)
    assert (tmp_path / "a" / "datacard.json").read_text() == (
        tmp_path / "b" / "datacard.json"
    ).read_text()


def test_family_filter(data_dir: Path, tmp_path: Path) -> None:
    frame = _build(data_dir, tmp_path / "out", exclude_families=("gsm8k",))
    assert "gsm8k" not in set(frame["family"])


def test_bad_small_models7_file_names_the_file(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "small_models7" / "math.json").write_text('[{"question": 3}]', encoding="utf-8")
    with pytest.raises(LabelingError, match=r"math.json\[0\]: question"):
        build_shared_dataset(tmp_path / "out", data_dir)


def test_hard_tier_model_labels_keep_only_routerbench() -> None:
    tiers = SoftLabelConfig().tier_models
    outcomes = [{tiers[0]: 0.0, tiers[1]: 1.0, tiers[2]: 1.0}, {"small_models7:m1": 1.0}]
    labels = soft_labels(outcomes, SoftLabelConfig(method="tier_models"))
    np.testing.assert_array_equal(labels.tier_probs[0], [0.0, 1.0, 0.0])
    assert np.isnan(labels.tier_probs[1]).all()


def test_unsolved_mass_goes_where_configured() -> None:
    tiers = SoftLabelConfig().tier_models
    rows = [{tiers[0]: 1.0, tiers[1]: 1.0, tiers[2]: 1.0}] * 5 + [
        {tiers[0]: 0.0, tiers[1]: 0.0, tiers[2]: 0.0}
    ]
    to_top = soft_labels(rows, SoftLabelConfig(unsolved="frontier")).tier_probs[-1]
    to_small = soft_labels(rows, SoftLabelConfig(unsolved="small")).tier_probs[-1]
    assert to_top.argmax() == 2 and to_small.argmax() == 0


def test_cli_dataset_shared(data_dir: Path, tmp_path: Path) -> None:
    from serving import app

    result = CliRunner().invoke(
        app, ["dataset", "shared", "--out", str(tmp_path / "cli"), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "labels.parquet").is_file()
    assert "gsm8k" in result.output
    missing = CliRunner().invoke(
        app, ["dataset", "shared", "--out", str(tmp_path / "x"), "--data-dir", str(tmp_path / "no")]
    )
    assert missing.exit_code == 2
    assert "shared data folder not found" in missing.output


@pytest.mark.slow
def test_real_shared_data(tmp_path: Path) -> None:
    root = shared_data_dir()
    if not (root / "routerbench").is_dir():
        pytest.skip(f"{root}: shared data not present")
    from classifier import read_routerbench
    from labeling.shared._sources import _last_block

    frame = _build(root, tmp_path / "real")
    test_questions = {
        " ".join(_last_block(r.prompt).lower().split()) for r in read_routerbench("test", root)
    }
    by_text = frame.with_columns(
        pl.col("text").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars().alias("k")
    )
    rows = by_text.filter(pl.col("k").is_in(list(test_questions)))
    assert rows.height >= 0.99 * len(test_questions)
    assert set(rows["split"]) == {"test"}
    assert frame.filter(pl.col("split") == "train").height > 5000


def test_family_offsets_follow_a_tier_models_weak_family() -> None:
    small, medium, frontier = SoftLabelConfig().tier_models
    rng = np.random.default_rng(0)
    rows, families = [], []
    for family, small_rate in (("code", 0.1), ("quiz", 0.9)):
        for _ in range(200):
            rows.append(
                {
                    small: float(rng.random() < small_rate),
                    medium: float(rng.random() < 0.6),
                    frontier: float(rng.random() < 0.8),
                    "other:m": float(rng.random() < 0.5),
                }
            )
            families.append(family)
    config = SoftLabelConfig(observed_weight=0.0)
    pooled = soft_labels(rows, replace(config, family_offsets=False), families).success
    split = soft_labels(rows, config, families).success
    code = np.array(families) == "code"
    # with offsets the smoothed small-tier success tracks the observed 0.1 / 0.9 closely
    assert abs(split[code, 0].mean() - 0.1) < abs(pooled[code, 0].mean() - 0.1)
    assert abs(split[~code, 0].mean() - 0.9) < abs(pooled[~code, 0].mean() - 0.9)


def test_sharegpt_prompts_get_the_default_prior(data_dir: Path, tmp_path: Path) -> None:
    assert "sharegpt" not in set(_build(data_dir, tmp_path / "none")["family"])
    frame = _build(data_dir, tmp_path / "out", sharegpt=2)
    chat = frame.filter(pl.col("family") == "sharegpt")
    assert chat.height == 2
    assert chat["tier_probs"].to_list() == [[0.4, 0.3, 0.3]] * 2
    assert chat["voters"].to_list() == [["sharegpt_prior"]] * 2
