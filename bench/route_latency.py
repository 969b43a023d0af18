"""Latency of ``route()`` on real traffic: ShareGPT first-turn prompts, scorer by scorer.

For the served INT8 student (the shipped default), the FP32 teacher it was distilled
from (``build/teacher``, written by ``make model``; skipped when absent) and the TF-IDF
baseline, prints p50/p90/p99/max per decision (batch 1, wall and CPU time, onnxruntime
with 1 and 2 threads), batch-32 throughput, and the cold start of the default
(``import router`` + first decision, in a fresh interpreter). Run ``make bench`` or
``.venv/bin/python bench/route_latency.py [--n 2000] [--teacher build/teacher]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from classifier import shared_data_dir
from router import ComplexityScorer, Router


def load_prompts(n: int) -> list[str]:
    path = shared_data_dir() / "sharegpt_prompts" / "sharegpt_v3_first_turn_prompts.jsonl"
    prompts = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            text = json.loads(line)["prompt"]
            if text.strip():
                prompts.append(text)
            if len(prompts) == n:
                break
    return prompts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def cold_start() -> float:
    code = (
        "import time; t = time.perf_counter(); from router import route; "
        "route('hello'); print(time.perf_counter() - t)"
    )
    runs = []
    for _ in range(3):  # the first run also warms the OS file cache
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        runs.append(float(out.stdout.strip()) * 1000)
    return min(runs)


@dataclass
class Result:
    name: str
    version: str
    wall: list[float]
    cpu: list[float]
    batch_rate: float


def measure(name: str, scorer: ComplexityScorer, prompts: list[str]) -> Result:
    router = Router(scorer=scorer)
    for prompt in prompts[:50]:  # warm up
        router.route(prompt)
    wall, cpu = [], []
    for prompt in track(prompts, description=name, transient=True):
        start, start_cpu = time.perf_counter(), time.thread_time()
        router.route(prompt)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    for i in range(0, len(prompts), 32):
        router.route_batch(prompts[i : i + 32])
    rate = len(prompts) / (time.perf_counter() - start)
    return Result(name, scorer.version, wall, cpu, rate)


def scorers(teacher: Path, threads: list[int]) -> list[tuple[str, ComplexityScorer, bool]]:
    """(name, scorer, is_teacher) for every scorer to measure."""
    from classifier import DEFAULT_MODEL_DIR, OnnxComplexityScorer, TfidfScorer

    chosen: list[tuple[str, ComplexityScorer, bool]] = []
    if (DEFAULT_MODEL_DIR / "model.onnx").is_file():
        for t in threads:
            scorer = OnnxComplexityScorer.load(DEFAULT_MODEL_DIR, threads=t)
            chosen.append((f"student INT8, {t} thread(s)", scorer, False))
    if (teacher / "model.onnx").is_file():
        for t in threads:
            scorer = OnnxComplexityScorer.load(teacher, threads=t)
            chosen.append((f"teacher FP32, {t} thread(s)", scorer, True))
    else:
        Console(stderr=True).print(f"no teacher at {teacher} (make model writes it): skipped")
    chosen.append(("TF-IDF + LR baseline", TfidfScorer.load(), False))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="prompts per scorer")
    parser.add_argument("--teacher-n", type=int, default=500, help="prompts for the teacher")
    parser.add_argument("--teacher", type=Path, default=Path("build/teacher"))
    parser.add_argument("--threads", default="1,2", help="onnxruntime thread counts")
    args = parser.parse_args()

    prompts = load_prompts(args.n)
    threads = [int(t) for t in args.threads.split(",")]
    results = [
        measure(name, scorer, prompts[: args.teacher_n] if slow else prompts)
        for name, scorer, slow in scorers(args.teacher, threads)
    ]
    table = Table(title="route() per prompt on ShareGPT first turns (batch 1, ms)")
    for column in ("scorer", "version", "n", "p50", "p90", "p99", "max", "CPU p50", "CPU p99"):
        table.add_column(column, justify="left" if column in ("scorer", "version") else "right")
    table.add_column("batch-32 /s", justify="right")
    for r in results:
        table.add_row(
            r.name,
            r.version,
            str(len(r.wall)),
            *(f"{percentile(r.wall, q):.2f}" for q in (50, 90, 99)),
            f"{max(r.wall):.1f}",
            f"{percentile(r.cpu, 50):.2f}",
            f"{percentile(r.cpu, 99):.2f}",
            f"{r.batch_rate:,.0f}",
        )
    console = Console(width=max(Console().width, 140))
    console.print(table)
    console.print(
        "mean wall ms: " + ", ".join(f"{r.name} {statistics.fmean(r.wall):.2f}" for r in results)
    )
    console.print(f"cold start (import router + first decision, best of 3): {cold_start():.0f} ms")


if __name__ == "__main__":
    main()
