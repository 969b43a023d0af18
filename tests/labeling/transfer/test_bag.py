from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from scipy.stats import spearmanr
from tokenizers import Tokenizer

from classifier import DEFAULT_MODEL_DIR
from classifier.inference import MODEL_FILE, TOKENIZER_FILE, load_tokenizer
from labeling.transfer._bag import (
    WORD_EMBEDDINGS,
    bag_vectors,
    static_embeddings,
    teacher_embeddings,
)
from labeling.transfer._candidates import CANDIDATES, FeatureBank, Fold
from policies import LabelingError


def _graph_with(tmp_path: Path, initializers: dict[str, np.ndarray]) -> Path:
    """A one-node graph carrying ``initializers`` (enough for static_embeddings to read)."""
    tensors = [numpy_helper.from_array(v, name=k) for k, v in initializers.items()]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y], tensors)
    path = tmp_path / "model.onnx"
    onnx.save(helper.make_model(graph), str(path))
    return path


def test_static_embeddings_dequantises_the_int8_table(tmp_path: Path) -> None:
    q = np.array([[0, 128, 255], [10, 20, 30]], dtype=np.uint8)
    path = _graph_with(
        tmp_path,
        {
            f"{WORD_EMBEDDINGS}_quantized": q,
            f"{WORD_EMBEDDINGS}_scale": np.array(0.5, dtype=np.float32),
            f"{WORD_EMBEDDINGS}_zero_point": np.array(128, dtype=np.uint8),
        },
    )
    expected = (q.astype(np.float32) - 128.0) * 0.5
    np.testing.assert_allclose(static_embeddings(path), expected)


def test_static_embeddings_without_a_table_names_the_file(tmp_path: Path) -> None:
    path = _graph_with(tmp_path, {"other": np.zeros((2, 2), dtype=np.float32)})
    with pytest.raises(LabelingError, match="model.onnx: no word-embedding table"):
        static_embeddings(path)


def test_shipped_table_is_the_students_vocabulary() -> None:
    table = static_embeddings(DEFAULT_MODEL_DIR / MODEL_FILE)
    tokenizer = load_tokenizer(DEFAULT_MODEL_DIR / TOKENIZER_FILE)
    assert table.shape == (tokenizer.get_vocab_size(), 128)
    assert np.isfinite(table).all() and table.std() > 0


@pytest.fixture(scope="module")
def student() -> tuple[Tokenizer, np.ndarray]:
    return (
        load_tokenizer(DEFAULT_MODEL_DIR / TOKENIZER_FILE),
        static_embeddings(DEFAULT_MODEL_DIR / MODEL_FILE),
    )


def test_bag_sees_the_middle_of_a_long_prompt(student: tuple[Tokenizer, np.ndarray]) -> None:
    tokenizer, table = student
    head, tail = "Please summarise the text below. " * 20, " Thanks a lot! " * 10
    about_code = head + "def f(x): return x ** 2 + sorted(items)[0] " * 30 + tail
    about_cats = head + "the cat sat on the warm mat in the sun " * 30 + tail
    bags = bag_vectors([about_code, about_cats], tokenizer, table)
    # the student's 64-token window reads the same head and tail; the bag does not
    assert np.abs(bags[0] - bags[1]).max() > 0.01


def test_bag_is_the_mean_row_and_reads_at_most_cap_tokens(
    student: tuple[Tokenizer, np.ndarray],
) -> None:
    tokenizer, table = student
    ids = tokenizer.encode("hello world", add_special_tokens=False).ids
    bag = bag_vectors(["hello world"], tokenizer, table)[0]
    np.testing.assert_allclose(bag, table[ids].mean(axis=0), rtol=1e-6)
    capped = bag_vectors(["hello world and much more text after it"], tokenizer, table, cap=2)
    np.testing.assert_allclose(capped[0], bag, rtol=1e-6)
    both = bag_vectors(["hello world"], tokenizer, table, max_abs=True)[0]
    np.testing.assert_allclose(both[128:], np.abs(table[ids]).max(axis=0), rtol=1e-6)
    assert not bag_vectors([""], tokenizer, table).any()  # no tokens: zeros
    with pytest.raises(LabelingError, match="cap must be at least 1"):
        bag_vectors(["x"], tokenizer, table, cap=0)


def test_ordinal_bag_candidate_learns_from_the_bag_block(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 1200
    groups = np.repeat(np.arange(6), n // 6)
    struct = rng.normal(size=(n, 15))
    bag = rng.normal(size=(n, 128))
    need = 1 / (1 + np.exp(-3 * bag[:, 5]))  # the tier depends on one bag dimension only
    probs = np.column_stack([(1 - need) ** 2, 2 * need * (1 - need), need**2])
    bank = FeatureBank(
        [f"p{i}" for i in range(n)], groups, tmp_path, _blocks={"struct": struct, "bag": bag}
    )
    test = groups == 5
    fold = Fold(~test, np.full(n, np.nan), np.ones(n), tier_probs=probs, test=test)
    score = CANDIDATES["ord:struct+bag"][1](bank, fold)[test]
    assert spearmanr(score, need[test])[0] > 0.8


def test_teacher_table_keeps_the_leading_principal_axes() -> None:
    table = teacher_embeddings(dims=16)
    assert table.shape == (30522, 16)
    spread = table.var(axis=0)
    assert np.all(np.diff(spread) <= 1e-9)  # PCA order: most variance first
    np.testing.assert_allclose(table.mean(axis=0), 0.0, atol=1e-4)
