"""ONNX side of the classifier: encoding, export + INT8 parity, calibration, the scorer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifier import OnnxComplexityScorer, TfidfScorer, load_default_scorer
from classifier.inference import (
    encode,
    expected_calibration_error,
    fit_temperature,
    load_tokenizer,
    set_temperature,
    softmax,
)
from classifier.training import parity_check, write_artifact
from policies import ClassifierError
from router import Router
from tests.classifier._tiny import TEXTS, TIERS

UNSEEN = [
    "please write a poem about sql",
    "what is the derivative of x squared",
    "thanks " * 50,
    "email the table to the data team",
    "why is python slow",
    "a b c d e f g",
    "",
]


# --- encoding -----------------------------------------------------------------------


def _decoded(tokenizer_json: Path, text: str, max_tokens: int) -> list[str]:
    tokenizer = load_tokenizer(tokenizer_json)
    ids, mask = encode(tokenizer, [text], max_tokens)
    return [tokenizer.id_to_token(int(i)) for i in ids[0][mask[0] == 1]]


def test_long_text_keeps_head_and_tail_tokens(tokenizer_json: Path) -> None:
    text = "explain why " + "the data model is slow " * 5000 + "fix the sql query"
    tokens = _decoded(tokenizer_json, text, 32)
    assert len(tokens) == 32
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert tokens[1:3] == ["explain", "why"]
    assert tokens[-5:-1] == ["fix", "the", "sql", "query"]


def test_middle_of_a_long_text_does_not_change_the_encoding(tokenizer_json: Path) -> None:
    tokenizer = load_tokenizer(tokenizer_json)
    head, tail = "write a python function " * 20, " and then sort the list" * 10
    short = encode(tokenizer, [head + "hello" * 10 + tail], 48)
    huge = encode(tokenizer, [head + "x" * 1_000_000 + tail], 48)
    np.testing.assert_array_equal(short[0], huge[0])


def test_short_texts_keep_every_token_and_pad_to_the_longest(tokenizer_json: Path) -> None:
    tokenizer = load_tokenizer(tokenizer_json)
    ids, mask = encode(tokenizer, ["hi", "write a python function", ""], 64)
    assert ids.dtype == np.int64 and mask.dtype == np.int64
    assert ids.shape == mask.shape == (3, 6)  # [CLS] write a python function [SEP]
    assert mask.sum(axis=1).tolist() == [3, 6, 2]
    assert (ids[mask == 0] == tokenizer.token_to_id("[PAD]")).all()


def test_lone_surrogates_are_replaced_not_fatal(tokenizer_json: Path) -> None:
    tokenizer = load_tokenizer(tokenizer_json)
    ids, _ = encode(tokenizer, ["hello \ud800 world", "hi"], 16)
    assert ids.shape[0] == 2


def test_encode_rejects_a_single_string_and_a_tiny_budget(tokenizer_json: Path) -> None:
    tokenizer = load_tokenizer(tokenizer_json)
    with pytest.raises(TypeError):
        encode(tokenizer, "one string", 32)  # type: ignore[arg-type]
    with pytest.raises(ClassifierError, match="max_tokens"):
        encode(tokenizer, ["x"], 2)


# --- export and parity ----------------------------------------------------------------


def test_int8_artifact_matches_fp32_torch(tiny_bert: Any, tiny_artifact: Path) -> None:
    texts = TEXTS + UNSEEN
    report = parity_check(tiny_bert, tiny_artifact, texts)
    assert report.n == len(texts)
    assert report.argmax_agreement >= 0.95
    assert report.max_prob_diff < 0.1  # measured: 0.039 max, 0.0014 mean (AVX2)
    assert report.mean_prob_diff < 0.01
    assert report.mean_prob_diff <= report.max_prob_diff


def test_artifact_directory_layout(tiny_artifact: Path) -> None:
    names = {p.name for p in tiny_artifact.iterdir()}
    assert {"model.onnx", "tokenizer.json", "labels.json", "config.json"} <= names
    assert json.loads((tiny_artifact / "labels.json").read_text()) == list(TIERS)
    config = json.loads((tiny_artifact / "config.json").read_text())
    assert config["max_tokens"] == 32
    assert config["truncation"]["strategy"] == "head+tail"
    assert config["metadata"] == {"data": "none: random weights"}
    assert config["version"].startswith("minilm-student-")


def test_version_is_a_content_hash(tiny_bert: Any, tokenizer_json: Path, tmp_path: Path) -> None:
    first = write_artifact(tiny_bert, tokenizer_json, tmp_path / "a", tiers=TIERS, max_tokens=32)
    again = write_artifact(tiny_bert, tokenizer_json, tmp_path / "b", tiers=TIERS, max_tokens=32)
    other = write_artifact(tiny_bert, tokenizer_json, tmp_path / "c", tiers=TIERS, max_tokens=24)
    versions = [OnnxComplexityScorer.load(d).version for d in (first, again, other)]
    assert versions[0] == versions[1] != versions[2]


def test_any_module_returning_logits_exports(tokenizer_json: Path, tmp_path: Path) -> None:
    """Not only BERT: a plain module (input_ids, attention_mask) -> logits works too."""
    torch = pytest.importorskip("torch")

    class MeanPool(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(load_tokenizer(tokenizer_json).get_vocab_size(), 8)
            self.head = torch.nn.Linear(8, len(TIERS))

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            mask = attention_mask.unsqueeze(-1).float()
            pooled = (self.embedding(input_ids) * mask).sum(1) / mask.sum(1)
            return self.head(pooled)

    torch.manual_seed(0)
    model = MeanPool().eval()
    folder = write_artifact(model, tokenizer_json, tmp_path, tiers=TIERS, max_tokens=16)
    report = parity_check(model, folder, TEXTS)
    assert report.argmax_agreement == 1.0 and report.max_prob_diff < 0.02


def test_write_artifact_rejects_a_mismatched_model(
    tiny_bert: Any, tokenizer_json: Path, tmp_path: Path
) -> None:
    with pytest.raises(ClassifierError, match="3 output labels but tiers has 2"):
        write_artifact(tiny_bert, tokenizer_json, tmp_path, tiers=("a", "b"), max_tokens=32)
    with pytest.raises(ClassifierError, match="max_position_embeddings 128"):
        write_artifact(tiny_bert, tokenizer_json, tmp_path, tiers=TIERS, max_tokens=256)


def test_scorer_probabilities_are_calibrated_softmax(tiny_artifact: Path) -> None:
    scorer = OnnxComplexityScorer.load(tiny_artifact)
    assert scorer.labels == TIERS and scorer.max_tokens == 32
    probs = scorer.score(TEXTS + UNSEEN)
    assert probs.shape == (len(TEXTS + UNSEEN), len(TIERS))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(probs, softmax(scorer.logits(TEXTS + UNSEEN), 1.5), atol=1e-9)
    assert scorer.score([]).shape == (0, len(TIERS))


def test_batching_does_not_change_scores(tiny_artifact: Path) -> None:
    batched = OnnxComplexityScorer.load(tiny_artifact, batch_size=4).score(TEXTS)
    single = np.vstack([OnnxComplexityScorer.load(tiny_artifact).score([t]) for t in TEXTS])
    np.testing.assert_allclose(batched, single, atol=2e-3)


def test_set_temperature_changes_confidence_and_version(
    tiny_artifact: Path, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(tiny_artifact, tmp_path / "artifact"))
    before = OnnxComplexityScorer.load(folder)
    version = set_temperature(folder, 5.0)
    after = OnnxComplexityScorer.load(folder)
    assert after.version == version != before.version
    p_before, p_after = before.score(TEXTS), after.score(TEXTS)
    assert (p_after.max(axis=1) <= p_before.max(axis=1) + 1e-9).all()
    assert (p_after.argmax(axis=1) == p_before.argmax(axis=1)).all()


def test_router_reports_the_artifact_version(tiny_artifact: Path) -> None:
    scorer = OnnxComplexityScorer.load(tiny_artifact)
    decision = Router(scorer=scorer).route("write a python function to sort a list")
    assert decision.classifier_version == scorer.version
    assert decision.tier in TIERS
    assert sum(decision.scores.values()) == pytest.approx(1.0, abs=1e-3)


def test_inference_imports_no_torch(tiny_artifact: Path) -> None:
    code = (
        "import sys\n"
        "from classifier import OnnxComplexityScorer\n"
        f"s = OnnxComplexityScorer.load({str(tiny_artifact)!r})\n"
        "assert s.score(['hello', 'write sql']).shape == (2, 3)\n"
        "print(sorted({'torch', 'transformers', 'onnx'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_load_default_scorer_falls_back_to_tfidf(
    tiny_artifact: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import classifier.inference._onnx

    monkeypatch.setattr(classifier.inference._onnx, "DEFAULT_MODEL_DIR", tmp_path / "nothing")
    assert isinstance(load_default_scorer(), TfidfScorer)
    monkeypatch.setattr(classifier.inference._onnx, "DEFAULT_MODEL_DIR", tiny_artifact)
    scorer = load_default_scorer()
    assert isinstance(scorer, OnnxComplexityScorer) and scorer.labels == TIERS


# --- bad artifacts --------------------------------------------------------------------


def test_missing_directory_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError, match="nowhere"):
        OnnxComplexityScorer.load(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("config.json", None, "config.json: missing"),
        ("config.json", "{not json", "config.json: cannot read"),
        ("config.json", '{"version": "x"}', "config.json: missing or invalid field"),
        ("labels.json", "[]", "labels.json: expected a non-empty list"),
        ("model.onnx", b"\x00garbage", "model.onnx: cannot load ONNX model"),
        ("model.onnx", None, "model.onnx: missing"),
        ("tokenizer.json", "{}", "tokenizer.json: cannot load tokenizer"),
    ],
)
def test_corrupt_artifact_names_the_file(
    tiny_artifact: Path, tmp_path: Path, filename: str, content: str | bytes | None, message: str
) -> None:
    folder = Path(shutil.copytree(tiny_artifact, tmp_path / "artifact"))
    target = folder / filename
    if content is None:
        target.unlink()
    elif isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)
    with pytest.raises(ClassifierError, match=message) as info:
        OnnxComplexityScorer.load(folder)
    assert str(folder) in str(info.value)


# --- calibration ----------------------------------------------------------------------


def _synthetic(n: int, temperature: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels drawn from softmax(logits / temperature)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 3.0, size=(n, 3))
    probs = softmax(logits, temperature)
    labels = np.array([rng.choice(3, p=p) for p in probs])
    return logits, labels


def test_ece_is_near_zero_when_calibrated_and_large_when_overconfident() -> None:
    logits, labels = _synthetic(20_000, 1.0)
    calibrated = expected_calibration_error(softmax(logits), labels)
    overconfident = expected_calibration_error(softmax(logits, 0.3), labels)
    assert calibrated < 0.02
    assert overconfident > 0.1


def test_fit_temperature_recovers_the_true_temperature() -> None:
    logits, labels = _synthetic(20_000, 2.5, seed=1)
    assert fit_temperature(logits, labels) == pytest.approx(2.5, rel=0.08)
    soft = softmax(logits, 0.7)
    assert fit_temperature(logits, soft) == pytest.approx(0.7, rel=0.01)
    # weights: a half of the rows drawn at T=1 counts for nothing
    hot_logits, hot_labels = _synthetic(20_000, 1.0, seed=3)
    both = np.vstack([logits, hot_logits]), np.concatenate([labels, hot_labels])
    weights = np.r_[np.ones(len(labels)), np.zeros(len(hot_labels))]
    assert fit_temperature(*both, weights=weights) == pytest.approx(2.5, rel=0.08)


def test_fitted_temperature_lowers_calibration_error() -> None:
    logits, labels = _synthetic(20_000, 3.0, seed=2)
    before = expected_calibration_error(softmax(logits), labels)
    after = expected_calibration_error(softmax(logits, fit_temperature(logits, labels)), labels)
    assert after < before / 3


def test_calibration_rejects_mismatched_labels() -> None:
    with pytest.raises(ClassifierError, match="labels"):
        fit_temperature(np.zeros((4, 3)), np.array([0, 1]))
    with pytest.raises(ClassifierError, match="labels"):
        fit_temperature(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ClassifierError, match="temperature"):
        softmax(np.zeros((1, 3)), 0.0)
