"""The out-of-the-box path: ``route()`` with the shipped policy and the shipped student
(``classifier/_model``), and the TF-IDF baseline it falls back to."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier import DEFAULT_MODEL_DIR, OnnxComplexityScorer, TfidfScorer
from classifier.inference import read_artifact_config
from classifier.training import TfidfTrainer
from router import Decision, Router, default_router, route


def test_route_uses_shipped_student() -> None:
    decision = route("SELECT name FROM users WHERE id = 3; why is this slow?")
    assert isinstance(decision, Decision)
    assert decision.speculative is False
    assert "rule:sql-no-speculation" in decision.reasons
    assert isinstance(default_router().scorer, OnnxComplexityScorer)
    assert decision.classifier_version == read_artifact_config(DEFAULT_MODEL_DIR).version
    assert sum(decision.scores.values()) == pytest.approx(1.0, abs=1e-3)


def test_shipped_student_is_small_and_separates_easy_from_hard() -> None:
    size = (DEFAULT_MODEL_DIR / "model.onnx").stat().st_size
    assert size <= 15 * 2**20, f"shipped model is {size / 2**20:.1f} MiB (limit 15)"
    easy = [
        "What is the capital of France?",
        "Which gas do plants absorb? A) O2 B) CO2",
        "Say hello in French",
        "What is 7 times 8?",
    ]
    hard = [
        "Prove that every bounded monotone sequence of real numbers converges, then "
        "derive the rate of convergence of Newton's method for a double root.",
        "Write a lock-free multi-producer multi-consumer queue in C++ with memory "
        "orderings justified for each atomic operation, and prove it is linearizable.",
        "Design a distributed rate limiter for a global API gateway: compare token bucket "
        "and sliding window, handle clock skew and partitions, and give the data model.",
        "Solve: find all integer solutions of x^3 + y^3 = z^3 + 1 with |x|, |y|, |z| < 100 "
        "and explain the number theory that bounds the search.",
    ]
    complexity = default_router().score(easy + hard) @ np.linspace(0.0, 1.0, 3)
    # measured with minilm-distill-2x128-085ba809: easy 0.23-0.53, hard 0.55-0.67
    assert complexity[4:].min() > complexity[:4].max()
    assert complexity[4:].mean() > complexity[:4].mean() + 0.15


def test_baseline_is_not_constant() -> None:
    texts = [
        "What is 2 + 2?",
        "Write a python function to merge k sorted linked lists in O(n log k).",
        "Please answer with the letter of the correct answer. The trophy doesn't fit "
        "into the suitcase because it is too small. A) trophy B) suitcase",
    ]
    probs = Router(scorer=TfidfScorer.load()).score(texts)
    assert probs.shape == (3, 3)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert np.ptp(probs, axis=0).max() > 0.01


def test_tfidf_numpy_scores_equal_sklearn(tmp_path: Path) -> None:
    texts = [
        "select the rows",
        "write a function",
        "sort a list in python",
        "what is love",
        "explain quantum physics simply",
        "write a function to sort",
        "prove the theorem",
        "the rows of a table",
        "love and physics",
        "a list of functions",
    ] * 3
    labels = ["small", "medium", "frontier"] * 10
    trainer = TfidfTrainer(("small", "medium", "frontier"), min_df=1).fit(texts, labels)
    path = trainer.save(tmp_path / "m.json", {"note": "test"})
    scorer = TfidfScorer.load(path)
    probe = ["write a python function that sorts rows", "", "unseen words only", "LOVE love"]
    np.testing.assert_allclose(scorer.score(probe), trainer.predict_proba(probe), atol=1e-6)
    assert scorer.metadata == {"note": "test"}


def test_corrupt_artifact_is_a_classifier_error(tmp_path: Path) -> None:
    from policies import ClassifierError

    path = tmp_path / "m.json"
    path.write_text(json.dumps({"labels": ["a"], "version": "x"}))
    with pytest.raises(ClassifierError, match="missing or invalid field"):
        TfidfScorer.load(path)
    path.write_text("{not json")
    with pytest.raises(ClassifierError, match="cannot load tfidf artifact"):
        TfidfScorer.load(path)


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from serving import main; main()", *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
    )


def test_cli_route_json() -> None:
    result = _cli("route", "Write a SQL query that returns the top customers by revenue", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["speculative"] is False
    assert "sql-no-speculation" in data["rules"]


def test_cli_route_reads_messages_and_stdin(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps([{"role": "user", "content": "hello there"}]))
    assert _cli("route", "--messages", str(path), "--json").returncode == 0
    assert json.loads(_cli("route", "-", "--json", stdin="hi").stdout)["tier"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("route", ""), "error: prompt: is empty"),
        (("route", "hi", "--meta", "novalue"), "expected KEY=VALUE"),
        (
            ("route", "hi", "--policy", "/nonexistent.yaml"),
            "/nonexistent.yaml: <root>: cannot read",
        ),
    ],
)
def test_cli_errors_exit_2_without_traceback(args: tuple[str, ...], expected: str) -> None:
    result = _cli(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_bad_messages_file(tmp_path: Path) -> None:
    bad_utf8 = tmp_path / "bad.json"
    bad_utf8.write_bytes(b'[{"role": "user",\n "content": "\xff"}]')
    result = _cli("route", "--messages", str(bad_utf8))
    assert result.returncode == 2 and f"{bad_utf8}:2: invalid UTF-8" in result.stderr
    wrong_type = tmp_path / "wrong.json"
    wrong_type.write_text(json.dumps([{"role": "user", "content": {"a": 1}}]))
    result = _cli("route", "--messages", str(wrong_type))
    assert result.returncode == 2 and "messages[0].content: expected a string" in result.stderr
