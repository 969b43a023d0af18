"""``evaluate_model`` / ``tierroute evaluate`` on a toy RouterBench folder and labels set,
and the baselines (LiteLLM offline, MiniLM embedding cache)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from classifier.evaluation import evaluate_model, model_card_sections, read_label_split
from classifier.training import TfidfTrainer
from policies import ClassifierError

GPT4, MIXTRAL, MISTRAL = (
    "gpt-4-1106-preview",
    "mistralai/mixtral-8x7b-chat",
    "mistralai/mistral-7b-chat",
)
TIERS = ("small", "medium", "frontier")


def easy(i: int) -> str:
    return f"what is {i} plus {i}"


def hard(i: int) -> str:
    return f"prove theorem {i} about the integral of the derivative, step by step " * 4


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """RouterBench-shaped test CSV (hard prompts: only GPT-4 right) + labels + a model."""
    root = tmp_path_factory.mktemp("toy")
    folder = root / "shared" / "routerbench"
    folder.mkdir(parents=True)
    models = (MISTRAL, MIXTRAL, GPT4)
    fields = ["sample_id", "prompt", "eval_name", "oracle_model_to_route_to"]
    for m in models:
        fields += [m, f"{m}|model_response", f"{m}|total_cost"]
    with (folder / "toy_test.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        for i in range(30):
            is_hard = i % 3 == 0
            text = hard(100 + i) if is_hard else easy(100 + i)
            row = {"sample_id": f"t{i}", "prompt": repr([text]), "eval_name": "toy"}
            row["oracle_model_to_route_to"] = GPT4 if is_hard else MISTRAL
            for m, right, cost in (
                (MISTRAL, not is_hard, 1e-5),
                (MIXTRAL, not is_hard, 5e-5),
                (GPT4, True, 1e-3),
            ):
                row |= {
                    m: str(int(right)),
                    f"{m}|model_response": "['x']",
                    f"{m}|total_cost": str(cost),
                }
            writer.writerow(row)
    rows = []
    for i in range(60):
        is_hard = i % 3 == 0
        split = "test" if i >= 45 else "train"
        text = hard(i) if is_hard else easy(i)
        label = "frontier" if is_hard else ("medium" if i % 3 == 1 else "small")
        rows.append(
            {"text": text, "label": label, "label_index": TIERS.index(label), "split": split}
        )
    rows.append({"text": hard(100), "label": "frontier", "label_index": 2, "split": "train"})
    labels = root / "labels.parquet"
    pl.DataFrame(rows).write_parquet(labels)
    train = read_label_split(labels, "train")
    model = TfidfTrainer(TIERS, min_df=1).fit(train.texts, train.label_names())
    return {"shared": root / "shared", "labels": labels, "model": model.save(root / "m.json")}


def test_report_has_metrics_baselines_and_plots(toy: dict[str, Path], tmp_path: Path) -> None:
    report = evaluate_model(
        toy["model"],
        toy["labels"],
        routerbench_dir=toy["shared"],
        baselines=["length", "tfidf-lr"],
        out=tmp_path / "report",
        cache_dir=tmp_path,
    )
    assert [r.name for r in report.results] == ["model", "length", "tfidf-lr", "oracle"]
    model = report.model_result
    assert model.classification is not None and model.classification.n == 15
    assert report.routing is not None and report.routing.n == 30
    assert report.routing.strong_quality == 1.0
    assert report.routing.weak_quality == pytest.approx(20 / 30)
    # hard prompts are the long ones: length routes perfectly, the oracle too
    length = report.result("length").summary()
    assert length is not None and length.apgr > 0.8
    assert length.cpt80 == pytest.approx(0.8 / 3)
    frontier = model.summary("frontier")
    assert frontier is not None and frontier.apgr > 0.7
    assert model.summary("complexity") is not None
    assert 0.3 < report.routing.random_apgr < 0.7
    # one routing prompt is also in the train split: reported, and kept out of baselines
    assert any("1 routing prompts also appear" in w for w in report.warnings)
    assert any("left out 1 train rows" in w for w in report.warnings)
    files = {p.name for p in (tmp_path / "report").iterdir()}
    assert {
        "report.json",
        "report.md",
        "confusion_matrix.png",
        "reliability.png",
        "pgr_curve.png",
        "cost_quality.png",
    } <= files
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    assert data["results"][1]["routing"]["score"]["apgr"] == pytest.approx(length.apgr)
    assert len(data["results"][0]["curves"]["frontier"]["pgr"]) == 101
    sections = model_card_sections(report)
    assert any("APGR" in body and "length" in body for body in sections.values())
    assert any("macro-F1" in body and "tfidf-lr" in body for body in sections.values())
    assert "routerbench.frontier.apgr" in report.metrics()


def test_without_routerbench_routing_is_skipped_with_a_warning(
    toy: dict[str, Path], tmp_path: Path
) -> None:
    report = evaluate_model(toy["model"], toy["labels"], routerbench_dir=tmp_path, baselines=False)
    assert report.routing is None
    assert report.model_result.classification is not None
    assert any("routing metrics skipped" in w for w in report.warnings)


def test_cli_prints_tables_and_writes_report(toy: dict[str, Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from serving import app

    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--model",
            str(toy["model"]),
            "--data",
            str(toy["labels"]),
            "--routerbench",
            str(toy["shared"]),
            "--out",
            str(tmp_path / "r"),
            "--baseline",
            "length",
        ],
        env={"COLUMNS": "160", "TIERROUTE_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert "APGR" in result.output and "macro-F1" in result.output
    assert "length" in result.output and "oracle" in result.output
    assert (tmp_path / "r" / "report.md").is_file()


def test_labels_without_required_columns_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pl.DataFrame({"text": ["a"], "split": ["test"]}).write_parquet(path)
    with pytest.raises(ClassifierError, match=r"bad.parquet: missing columns \['label'\]"):
        read_label_split(path)


def test_unknown_label_is_rejected(toy: dict[str, Path]) -> None:
    with pytest.raises(ClassifierError, match="not in"):
        read_label_split(toy["labels"], "train", labels=("small", "frontier"))


def test_unknown_baseline_is_rejected(toy: dict[str, Path]) -> None:
    with pytest.raises(ClassifierError, match="unknown baselines"):
        evaluate_model(toy["model"], toy["labels"], baselines=["coin-flip"])


@pytest.mark.slow
def test_litellm_baseline_scores_offline() -> None:
    """LiteLLM's rule-based score, computed with every socket connection refused."""
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network use in an offline baseline')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from pathlib import Path\n"
        "from classifier.evaluation._baselines import BASELINES, BaselineData\n"
        "c = BASELINES['litellm-complexity'].build(BaselineData(('a', 'b'), (), (), Path('.')))\n"
        "s = c.strong_score(['hi', 'Write a python function that implements a distributed "
        "consensus algorithm; think step by step and analyze its complexity.'])\n"
        "import json; print(c.version, json.dumps([float(x) for x in s]))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    version, scores = result.stdout.strip().split(" ", 1)
    simple, complex_ = json.loads(scores)
    assert version.startswith("litellm-")
    assert complex_ > simple


def test_minilm_embeddings_are_cached_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifier.evaluation._baselines import MiniLMEncoder

    calls: list[int] = []

    def fake_encode(self: MiniLMEncoder, texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return np.arange(len(texts) * 4, dtype=np.float64).reshape(len(texts), 4)

    monkeypatch.setattr(MiniLMEncoder, "_encode", fake_encode)
    first = MiniLMEncoder(tmp_path)(["a", "b"])
    again = MiniLMEncoder(tmp_path)(["a", "b"])
    other = MiniLMEncoder(tmp_path)(["a", "c"])
    assert calls == [2, 2]  # the repeated set came from disk
    assert np.array_equal(first, again)
    assert other.shape == (2, 4)
    assert len(list((tmp_path / "embeddings").glob("*.npy"))) == 2


def test_baseline_with_other_tiers_is_skipped_with_a_warning(tmp_path: Path) -> None:
    tiers = ("low", "mid", "high")
    texts = [easy(i) if i % 3 else hard(i) for i in range(21)]
    names = [tiers[2] if i % 3 == 0 else tiers[i % 2] for i in range(21)]
    labels = tmp_path / "two.parquet"
    pl.DataFrame(
        {
            "text": texts,
            "label": names,
            "label_index": [tiers.index(n) for n in names],
            "split": ["train"] * 15 + ["test"] * 6,
        }
    ).write_parquet(labels)
    model = TfidfTrainer(tiers, min_df=1).fit(texts[:15], names[:15]).save(tmp_path / "m.json")
    report = evaluate_model(
        model, labels, routerbench_dir=tmp_path, baselines=["tfidf-shipped", "tfidf-lr"]
    )
    assert [r.name for r in report.results] == ["model", "tfidf-lr"]
    assert any("baseline tfidf-shipped: skipped" in w for w in report.warnings)


def test_the_model_itself_is_not_repeated_as_a_baseline(tmp_path: Path) -> None:
    report = evaluate_model("tfidf", None, routerbench_dir=tmp_path, baselines=["tfidf-shipped"])
    assert [r.name for r in report.results] == ["model"]
