"""Labeling's registries name their strategies (tests/test_public_api.py guards __all__)."""

from __future__ import annotations

import labeling


def test_registries_name_their_strategies() -> None:
    assert set(labeling.ADAPTERS) == {"openai", "litellm", "decisions", "outcomes"}
    assert {"outcome", "escalation", "feedback", "failure", "length"} <= set(
        labeling.LABELING_FUNCTIONS
    )
