"""The feature head: structure features, ordinal fit, artifact round trip, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from classifier._loader import load_scorer
from classifier.inference._features import FEATURE_NAMES, prompt_features
from classifier.inference._head import HEAD_FILE
from classifier.training._head_fit import train_head
from classifier.training._head_train import fit_ordinal_head
from policies import ClassifierError
from tests.classifier._tiny import TEXTS


def test_features_see_length_questions_code_and_options() -> None:
    short, long_q, code, mcq = prompt_features(
        [
            "hi",
            "Why? " * 200,
            "```python\ndef f(x):\n    return x\n```",
            "Which one?\nA. red\nB. blue\nC. green",
        ]
    )
    names = list(FEATURE_NAMES)
    assert long_q[names.index("log_chars")] > short[names.index("log_chars")]
    assert long_q[names.index("log_questions")] > short[names.index("log_questions")]
    assert code[names.index("log_code_marks")] > 0 == short[names.index("log_code_marks")]
    assert mcq[names.index("log_option_lines")] > 0
    with pytest.raises(TypeError):
        prompt_features("one string")  # type: ignore[arg-type]


def test_a_huge_prompt_costs_a_bounded_window_but_keeps_its_length() -> None:
    base = "word " * 1000
    small, huge = prompt_features([base, base * 40])
    assert huge[0] > small[0] + 3  # log length grows
    assert huge[4:9] == pytest.approx(small[4:9], abs=0.02)  # shares come from the window


def _ordinal_data(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    s = 2.0 * x[:, 0] - x[:, 1]
    hi = 1 / (1 + np.exp(-(s - 1)))
    mid = 1 / (1 + np.exp(-(s + 1)))
    probs = np.stack([1 - mid, mid - hi, hi], axis=1)
    return x, probs


def test_ordinal_head_recovers_the_direction_and_orders_its_cutpoints() -> None:
    x, probs = _ordinal_data()
    head = fit_ordinal_head(x, probs, blocks=("logits",), c=10.0)
    assert head.coef[0] > 0 > head.coef[1]
    assert abs(head.coef[2]) < 0.3 * abs(head.coef[0])
    assert head.cutpoints[0] < head.cutpoints[1]
    out = head.probs(x)
    assert np.allclose(out.sum(axis=1), 1.0)
    # the expected tier rises with the true score
    expected = out @ np.arange(3)
    assert np.corrcoef(expected, 2.0 * x[:, 0] - x[:, 1])[0, 1] > 0.9


def test_ordinal_head_rejects_mismatched_shapes() -> None:
    x, probs = _ordinal_data()
    with pytest.raises(ClassifierError, match="expected x"):
        fit_ordinal_head(x, probs[:10], blocks=("logits",))
    with pytest.raises(ClassifierError, match="head blocks"):
        fit_ordinal_head(x, probs, blocks=("nope",))


def _labels(path: Path) -> Path:
    """Soft labels where long prompts need the frontier and short ones the small tier."""
    rows = []
    for i, text in enumerate(TEXTS * 4):
        text = f"{text} {i}"
        hard = min(len(text) / 200, 1.0)
        probs = [1 - hard, 0.0, hard] if hard < 0.5 else [0.1, 0.2, 0.7]
        rows.append(
            {
                "text": text,
                "label": ["small", "medium", "frontier"][int(np.argmax(probs))],
                "split": "val" if i % 5 == 0 else "train",
                "tier_probs": probs,
                "confidence": 1.0,
            }
        )
    pl.DataFrame(rows).write_parquet(path)
    return path


def test_train_head_writes_an_artifact_the_loader_serves(
    tiny_artifact: Path, tmp_path: Path
) -> None:
    data = _labels(tmp_path / "labels.parquet")
    report = train_head(data, tmp_path / "model", base=tiny_artifact)
    assert report.blocks == ("struct", "logits", "pooled")
    assert (tmp_path / "model" / HEAD_FILE).is_file()
    scorer = load_scorer(tmp_path / "model")
    assert scorer.version == report.version and "+head-" in scorer.version
    probs = scorer.score(["hi", "prove the theorem with an integral " * 20])
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert probs[1] @ np.arange(3) > probs[0] @ np.arange(3)  # it learned "long = harder"
    quick = train_head(data, tmp_path / "quick", base=tiny_artifact, blocks=("struct", "logits"))
    assert quick.blocks == ("struct", "logits") and quick.version != report.version


def test_a_broken_head_file_is_refused_with_its_path(tiny_artifact: Path, tmp_path: Path) -> None:
    data = _labels(tmp_path / "labels.parquet")
    train_head(data, tmp_path / "model", base=tiny_artifact, blocks=("struct", "logits"))
    head = json.loads((tmp_path / "model" / HEAD_FILE).read_text())
    bad = tmp_path / "bad"
    shutil.copytree(tmp_path / "model", bad)
    (bad / HEAD_FILE).write_text(json.dumps({**head, "cutpoints": [1.0, 0.0]}))
    with pytest.raises(ClassifierError, match="cutpoints: must increase"):
        load_scorer(bad)
    (bad / HEAD_FILE).write_text(json.dumps({**head, "feature_names": ["x"]}))
    with pytest.raises(ClassifierError, match="feature_names"):
        load_scorer(bad)
    (bad / HEAD_FILE).write_text(json.dumps({**head, "blocks": ["struct", "logits", "pooled"]}))
    with pytest.raises(ClassifierError, match=HEAD_FILE):
        load_scorer(bad)
