"""Labeling toolkit: production LLM logs -> complexity labels (not built yet; see issue 3)."""

from __future__ import annotations

__all__: list[str] = []
