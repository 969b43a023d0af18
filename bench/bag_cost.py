"""Per-prompt cost of the whole-prompt bag block (:mod:`labeling.transfer._bag`) on ShareGPT.

Times, for each of the first ``--n`` ShareGPT first-turn prompts (the mix ``route()`` is
held to: p50 <= 1 ms, p99 <= 3 ms in total), the tokenizer call on the character-cut
text, the gather + mean (``bag``) and the gather + mean + max-abs (``bagmx``), at the
default cap of 2,048 tokens and at smaller caps; prints p50/p90/p99/max in microseconds
next to the tokens read. Run ``.venv/bin/python bench/bag_cost.py [--n 2000]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from route_latency import load_prompts, percentile  # bench/ is on sys.path as a script

from classifier import DEFAULT_MODEL_DIR
from classifier.inference import MODEL_FILE, TOKENIZER_FILE, load_tokenizer
from labeling.transfer import BAG_CAP, BAG_CHARS_PER_TOKEN, static_embeddings


def timings(prompts: list[str], cap: int, table: Any, tokenizer: Any) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"tokenize": [], "bag": [], "bagmx": [], "tokens": []}
    budget = cap * BAG_CHARS_PER_TOKEN
    for text in prompts:
        start = time.perf_counter()
        ids = tokenizer.encode(text[:budget], add_special_tokens=False).ids[:cap]
        mid = time.perf_counter()
        rows = table[np.asarray(ids, dtype=np.int64)]
        rows.mean(axis=0)
        bag_end = time.perf_counter()
        if ids:
            np.abs(rows).max(axis=0)
        mx_end = time.perf_counter()
        out["tokenize"].append((mid - start) * 1e6)
        out["bag"].append((bag_end - start) * 1e6)
        out["bagmx"].append((mx_end - start) * 1e6)
        out["tokens"].append(float(len(ids)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--caps", default=f"{BAG_CAP},512,256")
    args = parser.parse_args(argv)
    prompts = load_prompts(args.n)
    table = static_embeddings(DEFAULT_MODEL_DIR / MODEL_FILE)
    tokenizer = load_tokenizer(DEFAULT_MODEL_DIR / TOKENIZER_FILE)
    timings(prompts[:100], BAG_CAP, table, tokenizer)  # warm up
    out = Table(title=f"bag block cost per prompt, us ({len(prompts)} ShareGPT first turns)")
    for column in ("cap", "step", "p50", "p90", "p99", "max", "mean tokens read"):
        out.add_column(column, justify="right")
    for cap in (int(c) for c in args.caps.split(",")):
        result = timings(prompts, cap, table, tokenizer)
        tokens = float(np.mean(result["tokens"]))
        for step in ("tokenize", "bag", "bagmx"):
            values = result[step]
            out.add_row(
                str(cap),
                step if step == "tokenize" else f"tokenize + {step}",
                *(f"{percentile(values, q):.0f}" for q in (50, 90, 99)),
                f"{max(values):.0f}",
                f"{tokens:.0f}",
            )
    Console(width=160).print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
