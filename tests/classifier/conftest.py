"""Session fixtures: a tiny tokenizer, a tiny fitted BERT and its INT8 artifact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.classifier._tiny import TIERS, build_tiny_bert, build_tokenizer


@pytest.fixture(scope="session")
def tokenizer_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tokenizer(tmp_path_factory.mktemp("tokenizer") / "tokenizer.json")


@pytest.fixture(scope="session")
def tiny_bert(tokenizer_json: Path) -> Any:
    return build_tiny_bert(tokenizer_json)


@pytest.fixture(scope="session")
def tiny_artifact(
    tmp_path_factory: pytest.TempPathFactory, tiny_bert: Any, tokenizer_json: Path
) -> Path:
    """An INT8 artifact directory of ``tiny_bert`` (read-only for tests: copy to change)."""
    from classifier.training import write_artifact

    return write_artifact(
        tiny_bert,
        tokenizer_json,
        tmp_path_factory.mktemp("artifact"),
        tiers=TIERS,
        max_tokens=32,
        temperature=1.5,
        metadata={"data": "none: random weights"},
    )
