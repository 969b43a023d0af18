"""Pick the student's size and token budget by measurement (not a test).

For randomly initialised BERT students with the MiniLM vocabulary (30 522 word
pieces) and, for reference, the all-MiniLM-L6-v2 teacher (FP32 and INT8), this
exports each model with :func:`classifier.training.write_artifact` and times
``OnnxComplexityScorer.score([prompt])`` -- tokenization included -- one prompt at a
time on one onnxruntime thread, over a sample of real ShareGPT prompts, at several
token budgets. Latency depends on the shape, not on the weights, so random weights
time the same as trained ones. The classifier head is scaled so that the logits
spread like a trained model's (std ~2), which makes the parity columns meaningful.

Rounds are interleaved over all configurations; ``quiet`` figures take each prompt's
fastest round (this machine is shared, other processes add noise), ``raw`` take every
sample, ``cpu`` is the calling thread's CPU time (each prompt's fastest round): what
the call costs on an idle core.
Targets for the served student: p50 <= 1 ms, p99 <= 3 ms, artifact <= 15 MB.

    .venv/bin/python bench/student_latency.py                      # default grid
    .venv/bin/python bench/student_latency.py --sizes 2x128 --budgets 64 --no-teacher
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

from classifier import OnnxComplexityScorer, minilm_dir, shared_data_dir
from classifier.inference import encode, load_tokenizer, read_artifact_config, write_config
from classifier.training import DEFAULT_QUANTIZATION, parity_check

TIERS = ("small", "medium", "frontier")
console = Console(width=150)


@dataclass
class Candidate:
    name: str
    model: Any
    quantize: bool
    quantization: str
    folder: Path | None = None
    size_mb: float = 0.0


def load_prompts(n: int, seed: int) -> list[str]:
    path = shared_data_dir() / "sharegpt_prompts" / "sharegpt_v3_first_turn_prompts.jsonl"
    with path.open(encoding="utf-8") as handle:
        prompts = [json.loads(line)["prompt"] for line in handle]
    prompts = [p for p in prompts if p.strip()]
    return random.Random(seed).sample(prompts, n)


def student(layers: int, hidden: int, seed: int) -> Any:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 32),
        intermediate_size=4 * hidden,
        num_labels=len(TIERS),
    )
    return BertForSequenceClassification(config).eval()


def teacher() -> Any:
    from transformers import BertForSequenceClassification
    from transformers.utils import logging

    logging.set_verbosity_error()  # the "classifier.weight MISSING" table: a new head is expected

    return BertForSequenceClassification.from_pretrained(
        str(minilm_dir()), num_labels=len(TIERS)
    ).eval()


def spread_head(model: Any, prompts: list[str], max_tokens: int) -> None:
    """Scale the classifier head so the logits' std is ~2 (like a trained model)."""
    import torch

    from classifier.training import torch_logits

    ids, mask = encode(load_tokenizer(minilm_dir() / "tokenizer.json"), prompts, max_tokens)
    std = float(torch_logits(model, ids, mask).std())
    with torch.no_grad():
        model.classifier.weight.mul_(2.0 / max(std, 1e-6))


def export(candidate: Candidate, root: Path, max_tokens: int) -> None:
    from classifier.training import write_artifact

    folder = root / candidate.name.replace("/", "_").replace(" ", "_")
    write_artifact(
        candidate.model,
        minilm_dir() / "tokenizer.json",
        folder,
        tiers=TIERS,
        max_tokens=max_tokens,
        quantize=candidate.quantize,
        quantization=candidate.quantization,
        name=candidate.name,
    )
    candidate.folder = folder
    candidate.size_mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6


def scorer_at(candidate: Candidate, max_tokens: int) -> OnnxComplexityScorer:
    assert candidate.folder is not None
    config = read_artifact_config(candidate.folder)
    write_config(candidate.folder, replace(config, max_tokens=max_tokens))
    return OnnxComplexityScorer.load(candidate.folder, threads=1)


Times = dict[tuple[str, int], np.ndarray[Any, Any]]


def time_all(
    scorers: dict[tuple[str, int], OnnxComplexityScorer], prompts: list[str], rounds: int
) -> tuple[Times, Times]:
    """Wall and thread-CPU seconds per prompt, each (rounds, n_prompts), interleaved.

    With one intra-op thread onnxruntime runs in the calling thread, so its CPU time
    is the latency the call would have on an idle core (other processes do not add).
    """
    out = {key: np.empty((rounds, len(prompts))) for key in scorers}
    cpu = {key: np.empty((rounds, len(prompts))) for key in scorers}
    for scorer in scorers.values():  # warm-up: first runs allocate
        for p in prompts[:20]:
            scorer.score([p])
    for r in track(range(rounds), description="timing rounds", console=console):
        for key, scorer in scorers.items():
            row, cpu_row = out[key][r], cpu[key][r]
            for i, p in enumerate(prompts):
                start, cpu_start = time.perf_counter(), time.thread_time()
                scorer.score([p])
                row[i] = time.perf_counter() - start
                cpu_row[i] = time.thread_time() - cpu_start
    return out, cpu


def time_tokenizer(prompts: list[str], budgets: list[int], rounds: int) -> dict[int, float]:
    tokenizer = load_tokenizer(minilm_dir() / "tokenizer.json")
    result = {}
    for budget in budgets:
        best = np.full(len(prompts), np.inf)
        for _ in range(rounds):
            for i, p in enumerate(prompts):
                start = time.perf_counter()
                encode(tokenizer, [p], budget)
                best[i] = min(best[i], time.perf_counter() - start)
        result[budget] = float(np.median(best) * 1e3)
    return result


def candidates(args: argparse.Namespace) -> list[Candidate]:
    found = []
    for size in args.sizes.split(","):
        layers, hidden = (int(x) for x in size.lower().split("x"))
        for method in args.quantizations.split(","):
            name = f"student {layers}L/h{hidden} int8:{method}"
            found.append(Candidate(name, student(layers, hidden, args.seed), True, method))
    if args.teacher:
        model = teacher()
        found.append(Candidate("teacher MiniLM-L6/h384 fp32", model, False, "none"))
        name = f"teacher MiniLM-L6/h384 int8:{DEFAULT_QUANTIZATION}"
        found.append(Candidate(name, model, True, DEFAULT_QUANTIZATION))
    return found


def report(
    rows: list[Candidate],
    budgets: list[int],
    times: Times,
    cpu_times: Times,
    parity: dict[tuple[str, int], Any],
    token_ms: dict[int, float],
) -> None:
    table = Table(title="ONNX scorer latency, batch 1, 1 thread, tokenization included (ms)")
    columns = ("model", "max_tokens", "MB", "p50 cpu", "p99 cpu", "p50 quiet", "p99 quiet")
    for column in (*columns, "p50 raw", "p99 raw"):
        table.add_column(column, justify="left" if column == "model" else "right")
    table.add_column("argmax agree", justify="right")
    table.add_column("max |dp|", justify="right")
    for c in rows:
        for b in budgets:
            t = times[(c.name, b)] * 1e3
            quiet = t.min(axis=0)
            cpu = cpu_times[(c.name, b)].min(axis=0) * 1e3
            par = parity.get((c.name, b))
            table.add_row(
                c.name,
                str(b),
                f"{c.size_mb:.1f}",
                f"{np.percentile(cpu, 50):.3f}",
                f"{np.percentile(cpu, 99):.3f}",
                f"{np.percentile(quiet, 50):.3f}",
                f"{np.percentile(quiet, 99):.3f}",
                f"{np.percentile(t, 50):.3f}",
                f"{np.percentile(t, 99):.3f}",
                f"{par.argmax_agreement:.3f}" if par else "-",
                f"{par.max_prob_diff:.3f}" if par else "-",
            )
    console.print(table)
    console.print(
        "tokenization alone (p50 quiet, ms): "
        + ", ".join(f"{b} tok: {ms:.3f}" for b, ms in token_ms.items())
    )
    console.print(f"load average: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2x128,3x192,4x256", help="LAYERSxHIDDEN,...")
    parser.add_argument("--budgets", default="32,64,96,128")
    parser.add_argument(
        "--quantizations",
        default=DEFAULT_QUANTIZATION,
        help="see classifier.training._export QUANTIZATIONS",
    )
    parser.add_argument("--prompts", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-teacher", dest="teacher", action="store_false")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    prompts = load_prompts(args.prompts, args.seed)
    rows = candidates(args)
    scorers, parity = {}, {}
    with tempfile.TemporaryDirectory(prefix="student-latency-") as tmp:
        for c in track(rows, description="exporting", console=console):
            spread_head(c.model, prompts[:64], max(budgets))
            export(c, Path(tmp), max(budgets))
        for c in rows:
            for b in budgets:
                scorers[(c.name, b)] = scorer_at(c, b)
                if c.quantize:
                    parity[(c.name, b)] = parity_check(c.model, c.folder, prompts[:200])
        times, cpu_times = time_all(scorers, prompts, args.rounds)
    report(rows, budgets, times, cpu_times, parity, time_tokenizer(prompts, budgets, args.rounds))


if __name__ == "__main__":
    main()
