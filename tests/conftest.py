from __future__ import annotations

import os

import pytest

# Never reach a network hub or the remote litellm cost map from tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from classifier import shared_data_dir  # noqa: E402


@pytest.fixture(scope="session")
def shared_data() -> os.PathLike[str]:
    path = shared_data_dir()
    if not (path / "routerbench").is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path
