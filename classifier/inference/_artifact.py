"""The classifier artifact directory: what it holds and how it is read back.

::

    model.onnx        INT8 (dynamic quantization) ONNX graph: input_ids, attention_mask -> logits
    model.fp32.onnx   the FP32 graph (only when asked for)
    tokenizer.json    the `tokenizers` fast tokenizer
    labels.json       tier names, cheapest first (the order of the logits)
    config.json       version, max_tokens, truncation, temperature, metadata
    model_card.md     data, metrics, limits (written by training)

The version is a content hash: the same weights, tokenizer, labels, token budget and
temperature give the same version string, and any change gives a new one.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policies import ClassifierError

__all__ = [
    "artifact_metadata",
    "CARD_FILE",
    "CONFIG_FILE",
    "FP32_FILE",
    "LABELS_FILE",
    "MODEL_FILE",
    "TOKENIZER_FILE",
    "ArtifactConfig",
    "artifact_version",
    "read_artifact_config",
    "set_temperature",
]

MODEL_FILE = "model.onnx"
FP32_FILE = "model.fp32.onnx"
TOKENIZER_FILE = "tokenizer.json"
LABELS_FILE = "labels.json"
CONFIG_FILE = "config.json"
CARD_FILE = "model_card.md"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ArtifactConfig:
    """``config.json`` + ``labels.json`` of an artifact directory, validated."""

    version: str
    labels: tuple[str, ...]
    max_tokens: int
    head_fraction: float
    chars_per_token: int
    temperature: float
    quantization: str = "u8-per-channel"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        from classifier.inference._encoding import head_tail_split

        head, tail = head_tail_split(self.max_tokens, self.head_fraction)
        return {
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "max_tokens": self.max_tokens,
            "truncation": {
                "strategy": "head+tail",
                "head_fraction": self.head_fraction,
                "head_tokens": head,
                "tail_tokens": tail,
                "chars_per_token": self.chars_per_token,
            },
            "temperature": self.temperature,
            "quantization": self.quantization,
            "metadata": dict(self.metadata),
        }


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise ClassifierError(f"{path}: missing (not a classifier artifact directory?)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClassifierError(f"{path}: cannot read: {exc}") from exc


def read_artifact_config(artifact_dir: str | Path) -> ArtifactConfig:
    """Read and check ``config.json`` and ``labels.json``; errors name the file."""
    folder = Path(artifact_dir)
    if not folder.is_dir():
        raise ClassifierError(f"{folder}: classifier artifact directory not found")
    labels = _read_json(folder / LABELS_FILE)
    if not (isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels)):
        raise ClassifierError(f"{folder / LABELS_FILE}: expected a non-empty list of tier names")
    if len(set(labels)) != len(labels):
        raise ClassifierError(f"{folder / LABELS_FILE}: duplicate tier names {labels}")
    raw = _read_json(folder / CONFIG_FILE)
    where = folder / CONFIG_FILE
    try:
        truncation = raw["truncation"]
        config = ArtifactConfig(
            version=str(raw["version"]),
            labels=tuple(labels),
            max_tokens=int(raw["max_tokens"]),
            head_fraction=float(truncation["head_fraction"]),
            chars_per_token=int(truncation["chars_per_token"]),
            temperature=float(raw["temperature"]),
            quantization=str(raw.get("quantization", "unknown")),
            metadata=dict(raw.get("metadata") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ClassifierError(f"{where}: missing or invalid field {exc}") from exc
    if config.max_tokens < 3 or not 0.0 <= config.head_fraction <= 1.0:
        raise ClassifierError(f"{where}: invalid max_tokens or truncation.head_fraction")
    if config.chars_per_token < 1:
        raise ClassifierError(f"{where}: truncation.chars_per_token must be >= 1")
    if not (math.isfinite(config.temperature) and config.temperature > 0):
        raise ClassifierError(f"{where}: temperature must be a positive number")
    return config


def artifact_version(
    artifact_dir: str | Path, config: ArtifactConfig, name: str = "minilm-student"
) -> str:
    """``<name>-<sha8>`` over the model, tokenizer, labels, truncation and temperature."""
    folder = Path(artifact_dir)
    digest = hashlib.sha256()
    for filename in (MODEL_FILE, TOKENIZER_FILE):
        with (folder / filename).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    settings = {k: v for k, v in config.to_json().items() if k not in ("version", "metadata")}
    settings["labels"] = list(config.labels)
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return f"{name}-{digest.hexdigest()[:8]}"


def write_config(artifact_dir: Path, config: ArtifactConfig) -> None:
    (artifact_dir / LABELS_FILE).write_text(json.dumps(list(config.labels)) + "\n")
    (artifact_dir / CONFIG_FILE).write_text(json.dumps(config.to_json(), indent=2) + "\n")


def set_temperature(artifact_dir: str | Path, temperature: float) -> str:
    """Store a (newly fitted) temperature in ``config.json``; return the new version.

    Fit it on the served model's validation logits
    (``OnnxComplexityScorer.logits`` + :func:`classifier.fit_temperature`).
    """
    from dataclasses import replace

    folder = Path(artifact_dir)
    config = read_artifact_config(folder)
    if not (math.isfinite(temperature) and temperature > 0):
        raise ClassifierError(f"temperature: must be a positive number, got {temperature}")
    name = config.version.rsplit("-", 1)[0] if "-" in config.version else config.version
    config = replace(config, temperature=float(temperature))
    config = replace(config, version=artifact_version(folder, config, name))
    write_config(folder, config)
    return config.version


def artifact_metadata(artifact_dir: Path) -> dict[str, Any]:
    """The ``metadata`` of an artifact's ``config.json`` (empty when it has none)."""
    if (artifact_dir / CONFIG_FILE).is_file():
        return dict(read_artifact_config(artifact_dir).metadata)
    return {}
