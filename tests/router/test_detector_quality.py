"""Detector quality measured on the shared data, through bench/detector_eval.py.

The tests read ../shared/data (skipped when it is absent) through the evaluation in
bench/detector_eval.py, the same code that writes docs/detectors.md.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "detector_eval.py"

# --- measured on the shared data -------------------------------------------------------------


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("detector_eval", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while defining classes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    module = _load_bench()
    if not module.data_available():
        pytest.skip(f"shared data not found at {module.DATA.resolve()} (see shared/data/README.md)")
    return module


@pytest.fixture(scope="module")
def sql_results(bench: ModuleType) -> dict[str, Any]:
    return {res.name: res for res in bench.evaluate_sql()}


def test_sql_quality_on_the_held_out_half(sql_results: dict[str, Any]) -> None:
    overall = sql_results["overall"].counts["test"]
    real = sql_results["real_traffic"].counts["test"]
    chat = sql_results["conversational"].counts["test"]
    assert overall.f1 >= 0.95, f"overall held-out F1 {overall.f1:.3f}"
    # Regression guards at the measured levels (docs/detectors.md), default mode: real
    # traffic P 0.796, R 0.854; the conversational set P 0.930, R 0.893 (eleventh pass;
    # tenth: 0.788 / 0.854 and 0.924 / 0.893; sixth:
    # 0.781 / 0.854 and 0.917 / 0.893; fifth:
    # 0.774 / 0.854 and 0.917 / 0.886 after the bounded view, which costs two real-traffic
    # requests whose SQL sits mid-paste; fourth pass:
    # P 0.761 / R 0.896 and P 0.899 / R 0.899) (rules alone: P 0.784 / R 0.792 and
    # P 0.909 / R 0.805; before issue 14 conversational R was 0.42).
    assert real.precision >= 0.79, f"real-traffic held-out precision {real.precision:.3f}"
    assert real.recall >= 0.85, f"real-traffic held-out recall {real.recall:.3f}"
    assert chat.precision >= 0.925, f"conversational held-out precision {chat.precision:.3f}"
    assert chat.recall >= 0.88, f"conversational held-out recall {chat.recall:.3f}"


def test_sql_recall_mode_finds_more_on_the_held_out_half(bench: ModuleType) -> None:
    default = {r.name: r.counts["test"] for r in bench.evaluate_sql()}
    recall = {r.name: r.counts["test"] for r in bench.evaluate_sql(recall=True)}
    for row in ("real_traffic", "conversational", "overall"):
        assert recall[row].recall >= default[row].recall, row
    assert recall["overall"].f1 >= 0.95
    # guards at the eleventh pass's high-recall levels: conversational P 0.913 / R 0.919,
    # real traffic P 0.766 / R 0.885 (sixth pass: 0.901 / 0.919 and 0.752 / 0.885)
    assert recall["conversational"].recall >= 0.91
    assert recall["conversational"].precision >= 0.91
    assert recall["real_traffic"].precision >= 0.76


@pytest.mark.xfail(
    strict=True,
    reason="target not met: held-out real-traffic precision is 0.796 (21 FP in 5,725 "
    "prompts; recall 0.854) in the default mode, 0.766 (26 FP; recall 0.885) in the "
    "high-recall mode; see docs/detectors.md",
)
def test_sql_real_traffic_precision_target(sql_results: dict[str, Any]) -> None:
    real = sql_results["real_traffic"].counts["test"]
    assert real.precision >= 0.95


@pytest.mark.xfail(
    strict=True,
    reason="target not met: held-out conversational P 0.930 / R 0.893 (default mode) and "
    "P 0.913 / R 0.919 (high-recall mode); see docs/detectors.md",
)
def test_sql_conversational_recall_target(sql_results: dict[str, Any]) -> None:
    chat = sql_results["conversational"].counts["test"]
    assert chat.recall >= 0.95 and chat.precision >= 0.95


def test_docs_table_matches_the_harness(bench: ModuleType, sql_results: dict[str, Any]) -> None:
    docs = bench.DOCS.read_text(encoding="utf-8")
    table = bench.sql_table_markdown(list(sql_results.values()))
    assert f"{bench.TABLE_START}\n{table}\n{bench.TABLE_END}" in docs, (
        "docs/detectors.md is stale: run python bench/detector_eval.py --write-docs"
    )


def test_docs_recall_table_matches_the_harness(bench: ModuleType) -> None:
    docs = bench.DOCS.read_text(encoding="utf-8")
    table = bench.sql_table_markdown(bench.evaluate_sql(recall=True))
    assert f"{bench.RECALL_START}\n{table}\n{bench.RECALL_END}" in docs, (
        "docs/detectors.md is stale: run python bench/detector_eval.py --write-docs"
    )


def test_conversational_labels_are_unique_and_exist_in_the_shared_data(bench: ModuleType) -> None:
    rows = list(bench.read_jsonl(bench.CONV_SHAREGPT))
    ids = {str(r["id"]) for r in bench.read_jsonl(bench.SHAREGPT)}
    assert {str(r["id"]) for r in rows} <= ids
    assert len({str(r["id"]) for r in rows}) == len(rows)
    hand = list(bench.read_jsonl(bench.CONV_HANDWRITTEN))
    assert sum(bool(r["sql"]) for r in rows + hand) >= 300
    assert sum(not r["sql"] for r in rows + hand) >= 300


# Every conversation file: (source, at least this many SQL requests and near misses). The
# generalisation checks (probes*) are measured by bench (--probes), never asserted here: a
# test that pinned their results would invite tuning the detector on them.
_CONVERSATION_FILES = [
    ("probes", 25),
    ("probes2", 25),
    ("probes3", 25),
    ("probes4", 25),
    ("probes8", 25),
    ("probes9", 25),
    ("dev_sixth", 40),
    ("dev_seventh", 15),
    ("dev_eighth", 8),
    ("probes10", 25),
    ("dev_ninth", 12),
    ("probes11", 25),
    ("dev_tenth", 15),
    ("probes12", 25),
    ("dev_eleventh", 8),
    ("probes13", 25),
    ("dev_twelfth", 9),
    ("probes14", 25),
    ("dev_thirteenth", 9),
    ("probes15", 25),
    ("dev_fourteenth", 8),
    ("probes16", 25),
    ("dev_fifteenth", 7),
    ("probes17", 25),
]


@pytest.mark.parametrize(("source", "least"), _CONVERSATION_FILES)
def test_conversation_files_are_well_formed(bench: ModuleType, source: str, least: int) -> None:
    rows = bench.conversation_examples(source)
    assert sum(ex.sql for ex in rows) >= least and sum(not ex.sql for ex in rows) >= least
    assert len({ex.key for ex in rows}) == len(rows)
    for ex in rows:
        assert ex.messages[-1]["role"] == "user" and ex.text == ex.messages[-1]["content"]


def test_docs_other_detectors_table_matches_the_harness(bench: ModuleType) -> None:
    docs = bench.DOCS.read_text(encoding="utf-8")
    table = bench.other_detectors_markdown()
    assert f"{bench.OTHER_START}\n{table}\n{bench.OTHER_END}" in docs, (
        "docs/detectors.md is stale: run python bench/detector_eval.py --write-docs"
    )


def test_every_labeled_prompt_exists_in_the_shared_data(bench: ModuleType) -> None:
    data = bench.DATA
    ids = {
        str(r["id"])
        for r in bench.read_jsonl(
            data / "sharegpt_prompts" / "sharegpt_v3_first_turn_prompts.jsonl"
        )
    }
    for version in ("v0.1", "v2.0"):
        path = data / "arena_hard_questions" / f"arena-hard-{version}_question.jsonl"
        ids |= {str(r["uid"]) for r in bench.read_jsonl(path)}
    labels = list(bench.read_jsonl(bench.LABELS))
    assert {str(r["id"]) for r in labels} <= ids
    assert len({str(r["id"]) for r in labels}) == len(labels)
