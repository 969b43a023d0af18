"""Latency of ``route()`` on real traffic: 2,000 ShareGPT first-turn prompts.

Prints p50/p90/p99/max per decision (batch 1), batch-32 throughput, and the cold
start (``import router`` + first decision, in a fresh interpreter). Run:
``make bench`` or ``.venv/bin/python bench/route_latency.py [--n 2000]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

from classifier import shared_data_dir


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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip()) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()

    from router import default_router

    router = default_router()
    prompts = load_prompts(args.n)
    for prompt in prompts[:50]:  # warm up
        router.route(prompt)
    timings = []
    for prompt in prompts:
        start = time.perf_counter()
        router.route(prompt)
        timings.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    for i in range(0, len(prompts), 32):
        router.route_batch(prompts[i : i + 32])
    batch_rate = len(prompts) / (time.perf_counter() - start)

    table = Table(title=f"route() on {len(prompts)} ShareGPT prompts ({router.scorer.version})")
    for column in ("p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms", "batch-32 /s", "cold ms"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{percentile(timings, 50):.3f}",
        f"{percentile(timings, 90):.3f}",
        f"{percentile(timings, 99):.3f}",
        f"{max(timings):.3f}",
        f"{statistics.fmean(timings):.3f}",
        f"{batch_rate:,.0f}",
        f"{cold_start():.0f}",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
