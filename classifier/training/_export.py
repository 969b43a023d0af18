"""Torch model -> ONNX artifact directory (INT8), and the FP32-vs-INT8 parity check.

Steps of :func:`write_artifact`:

1. export the FP32 graph with the TorchScript ONNX exporter (opset 17, dynamic batch
   and sequence axes; one self-contained file, ~10x faster than the dynamo exporter);
   BERT models are exported with eager attention so that onnxruntime's transformer
   optimizer can fuse it;
2. for BERT models, fuse embeddings+LayerNorm, attention, GELU and skip-LayerNorm with
   ``onnxruntime.transformers.optimizer`` (fewer, bigger kernels: faster at batch 1);
3. quantize the weights to INT8 with ``onnxruntime.quantization.quantize_dynamic``
   (per-channel scales by default; activations are quantized on the fly at run time).

torch, onnx and onnxruntime's tooling are imported inside the functions.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from classifier.inference import (
    CARD_FILE,
    DEFAULT_CHARS_PER_TOKEN,
    DEFAULT_HEAD_FRACTION,
    FP32_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    ArtifactConfig,
    OnnxComplexityScorer,
    artifact_version,
    head_tail_split,
    softmax,
    write_config,
)
from policies import ClassifierError

__all__ = [
    "DEFAULT_QUANTIZATION",
    "QUANTIZATIONS",
    "ParityReport",
    "export_onnx",
    "parity_check",
    "write_artifact",
]

_OPSET = 17
# name -> (weight type, per channel, reduce range) for quantize_dynamic. Per-channel
# weight scales halve the probability error of per-tensor ones on MiniLM (mean |dp|
# 0.03 vs 0.06 on ShareGPT, a fitted head) at the same speed; 7-bit "reduced" weights
# are much worse. Measured with bench/student_latency.py and parity_check.
QUANTIZATIONS: dict[str, tuple[str, bool, bool]] = {
    "s8": ("QInt8", False, False),
    "s8-reduced": ("QInt8", False, True),
    "s8-per-channel": ("QInt8", True, False),
    "u8-per-channel": ("QUInt8", True, False),
}
DEFAULT_QUANTIZATION = "u8-per-channel"


@dataclass(frozen=True)
class ParityReport:
    """FP32 torch vs the INT8 ONNX artifact on the same encoded texts."""

    n: int
    argmax_agreement: float
    max_prob_diff: float
    mean_prob_diff: float

    def __str__(self) -> str:
        return (
            f"parity on {self.n} texts: argmax agreement {self.argmax_agreement:.4f}, "
            f"max |dp| {self.max_prob_diff:.4f}, mean |dp| {self.mean_prob_diff:.5f}"
        )


def _logits_module(model: Any) -> Any:
    """Wrap ``model`` so that it maps (input_ids, attention_mask) to a logits tensor."""
    import torch

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            if isinstance(out, torch.Tensor):
                return out
            if isinstance(out, tuple):
                return out[0]  # type: ignore[no-any-return]
            return out.logits  # type: ignore[no-any-return]

    return LogitsOnly(model).eval()


def _bert_shape(model: Any) -> tuple[int, int] | None:
    """(num_heads, hidden_size) when ``model`` is a transformers BERT, else None."""
    config: Any = getattr(model, "config", None)
    if getattr(config, "model_type", None) != "bert":
        return None
    return int(config.num_attention_heads), int(config.hidden_size)


def export_onnx(model: Any, path: Path, *, opset: int = _OPSET) -> None:
    """Export ``model`` (FP32) to ``path`` with dynamic batch and sequence axes."""
    import torch

    config: Any = getattr(model, "config", None)
    is_bert = _bert_shape(model) is not None
    previous = getattr(config, "_attn_implementation", None)
    if is_bert:
        config._attn_implementation = "eager"  # the pattern the ORT fuser recognises
    wrapper = _logits_module(model)
    ids = torch.tensor([[2, 5, 6, 7, 3], [2, 8, 3, 0, 0]])  # any ids inside the vocabulary
    mask = (ids != 0).long()
    axes = {0: "batch", 1: "sequence"}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer and deprecation chatter
            torch.onnx.export(
                wrapper,
                (ids, mask),
                str(path),
                input_names=["input_ids", "attention_mask"],
                output_names=["logits"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": {0: "batch"}},
                opset_version=opset,
                dynamo=False,
            )
    except Exception as exc:  # torch.onnx raises many unrelated types
        raise ClassifierError(f"{path}: ONNX export failed: {exc}") from exc
    finally:
        if is_bert:
            config._attn_implementation = previous


def _fuse(src: Path, dst: Path, num_heads: int, hidden_size: int) -> None:
    import logging

    from onnxruntime.transformers.optimizer import optimize_model

    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    optimized = optimize_model(
        str(src), model_type="bert", num_heads=num_heads, hidden_size=hidden_size
    )
    optimized.save_model_to_file(str(dst))


def _quantize(src: Path, dst: Path, method: str) -> None:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if method not in QUANTIZATIONS:
        raise ClassifierError(
            f"quantization: unknown {method!r}, expected one of {sorted(QUANTIZATIONS)}"
        )
    weight_type, per_channel, reduce_range = QUANTIZATIONS[method]

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing" advice on every call
    try:
        quantize_dynamic(
            str(src),
            str(dst),
            weight_type=getattr(QuantType, weight_type),
            per_channel=per_channel,
            reduce_range=reduce_range,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def write_artifact(
    model: Any,
    tokenizer_json: Path,
    out_dir: Path,
    *,
    tiers: Sequence[str],
    max_tokens: int,
    temperature: float = 1.0,
    version: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    quantize: bool = True,
    quantization: str = DEFAULT_QUANTIZATION,
    keep_fp32: bool = False,
    fuse: bool = True,
    head_fraction: float = DEFAULT_HEAD_FRACTION,
    chars_per_token: int = DEFAULT_CHARS_PER_TOKEN,
    name: str = "minilm-student",
    model_card: str | None = None,
) -> Path:
    """Write the artifact directory for ``model`` and return ``out_dir``.

    ``model``: a transformers ``BertForSequenceClassification`` or any module taking
    ``input_ids`` and ``attention_mask`` and returning logits (one per tier, in
    ``tiers`` order). ``version`` defaults to ``<name>-<sha8>`` of the content.
    ``quantize=False`` ships the FP32 graph as model.onnx (the teacher reference);
    ``keep_fp32`` also keeps it beside the INT8 one as model.fp32.onnx.
    ``quantization`` names an entry of :data:`QUANTIZATIONS`.
    """
    if not tiers:
        raise ClassifierError("tiers: at least one tier name is needed")
    head_tail_split(max_tokens, head_fraction)  # validates both
    _check_model(model, tiers, max_tokens)
    tokenizer_json = Path(tokenizer_json)
    if not tokenizer_json.is_file():
        raise ClassifierError(f"{tokenizer_json}: tokenizer file not found")
    if quantize and quantization not in QUANTIZATIONS:
        raise ClassifierError(
            f"quantization: unknown {quantization!r}, expected one of {sorted(QUANTIZATIONS)}"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_graphs(model, out_dir, quantization if quantize else None, keep_fp32, fuse)
    shutil.copyfile(tokenizer_json, out_dir / TOKENIZER_FILE)
    config = ArtifactConfig(
        version="",
        labels=tuple(tiers),
        max_tokens=max_tokens,
        head_fraction=head_fraction,
        chars_per_token=chars_per_token,
        temperature=float(temperature),
        quantization=quantization if quantize else "none (FP32)",
        metadata=dict(metadata or {}),
    )
    config = replace(config, version=version or artifact_version(out_dir, config, name))
    write_config(out_dir, config)
    if model_card is not None:
        (out_dir / CARD_FILE).write_text(model_card, encoding="utf-8")
    OnnxComplexityScorer.load(out_dir).logits(["a smoke test"])  # raises on a shape mismatch
    return out_dir


def _write_graphs(
    model: Any, out_dir: Path, quantization: str | None, keep_fp32: bool, fuse: bool
) -> None:
    """model.onnx (INT8 unless ``quantization`` is None) and, if asked, model.fp32.onnx."""
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "exported.onnx"
        export_onnx(model, fp32)
        shape = _bert_shape(model)
        if fuse and shape is not None:
            _fuse(fp32, Path(tmp) / "fused.onnx", *shape)
            fp32 = Path(tmp) / "fused.onnx"
        if quantization is not None:
            _quantize(fp32, out_dir / MODEL_FILE, quantization)
        else:
            shutil.copyfile(fp32, out_dir / MODEL_FILE)
        if keep_fp32:
            shutil.copyfile(fp32, out_dir / FP32_FILE)
        else:
            (out_dir / FP32_FILE).unlink(missing_ok=True)  # never leave a stale one


def _check_model(model: Any, tiers: Sequence[str], max_tokens: int) -> None:
    """Catch a head/tier count mismatch or a too-short position table before exporting."""
    config: Any = getattr(model, "config", None)
    n_labels = getattr(config, "num_labels", len(tiers))
    if n_labels != len(tiers):
        raise ClassifierError(
            f"model has {n_labels} output labels but tiers has {len(tiers)}: {list(tiers)}"
        )
    positions = getattr(config, "max_position_embeddings", max_tokens)
    if positions < max_tokens:
        raise ClassifierError(
            f"max_tokens {max_tokens} exceeds the model's max_position_embeddings {positions}"
        )


def torch_logits(
    model: Any, input_ids: np.ndarray[Any, Any], attention_mask: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """FP32 logits of a torch model on already encoded inputs."""
    import torch

    wrapper = _logits_module(model)
    with torch.no_grad():
        out = wrapper(torch.from_numpy(input_ids), torch.from_numpy(attention_mask))
    return out.float().numpy()  # type: ignore[no-any-return]


def parity_check(
    model: Any, artifact_dir: Path, texts: Sequence[str], *, batch_size: int = 64
) -> ParityReport:
    """Compare FP32 torch with the artifact's ONNX model on the same encoded texts.

    Both sides get the same ``input_ids``/``attention_mask`` and the artifact's
    temperature, so the difference measured is the export + INT8 quantization error.
    """
    if not texts:
        raise ClassifierError("parity_check: no texts given")
    scorer = OnnxComplexityScorer.load(artifact_dir, batch_size=batch_size)
    was_training = bool(getattr(model, "training", False))
    model.eval()
    agree, diffs = 0, []
    try:
        for start in range(0, len(texts), batch_size):
            chunk = list(texts[start : start + batch_size])
            ids, mask = scorer.encode(chunk)
            p_torch = softmax(torch_logits(model, ids, mask), scorer.temperature)
            p_onnx = scorer.score(chunk)
            agree += int((p_torch.argmax(axis=1) == p_onnx.argmax(axis=1)).sum())
            diffs.append(np.abs(p_torch - p_onnx).max(axis=1))
    finally:
        model.train(was_training)
    per_text = np.concatenate(diffs)
    return ParityReport(
        n=len(texts),
        argmax_agreement=agree / len(texts),
        max_prob_diff=float(per_text.max()),
        mean_prob_diff=float(per_text.mean()),
    )
