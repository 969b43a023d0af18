"""Speed figures of the prompt detectors (bench/detector_eval.py --latency and the Speed
tables of docs/detectors.md): time per prompt on 1-2k-character prompts and the per-request
scan percentiles on every ShareGPT first turn."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Sequence

from _detector_data import sharegpt_arena_examples, sharegpt_examples

from router import (
    DETECTORS,
    clear_detector_caches,
    detect_turn,
    normalize_prompt,
    scan_prompt,
    window,
)

__all__ = ["detector_breakdown_markdown", "scan_latency_markdown", "speed_markdown"]


def speed_markdown(repeats: int = 7) -> str:
    """Mean time per prompt on ShareGPT/Arena prompts of 1-2k characters (best of runs)."""
    texts = [ex.text for ex in sharegpt_arena_examples() if 1000 <= len(ex.text) <= 2000]
    big = window(" ".join(texts))  # one 32k-character detector window
    lines = [
        f"{len(texts)} ShareGPT/Arena prompts of 1-2k characters; best of {repeats} runs; "
        f"CPython {sys.version.split()[0]}.",
        "",
        "| detector | µs / prompt, alone | µs / prompt, in a routing decision |",
        "|---|---|---|",
    ]
    alone = {
        name: _best(functools.partial(_run_all, det, texts), repeats)
        for name, det in DETECTORS.items()
    }
    together = _best(lambda: [[det(t) for det in DETECTORS.values()] for t in texts], repeats)
    for name, seconds in alone.items():
        lines.append(f"| {name} | {seconds * 1e6 / len(texts):.1f} | |")
    lines.append(
        f"| all four | {sum(alone.values()) * 1e6 / len(texts):.1f} | "
        f"{together * 1e6 / len(texts):.1f} |"
    )
    worst = _best(lambda: [det(big) for det in DETECTORS.values()], repeats)
    lines.append(f"| all four, one {len(big) // 1000}k-character window | | {worst * 1e6:.0f} |")
    return "\n".join(lines)


def scan_latency_markdown(repeats: int = 3) -> str:
    """Per-prompt cost of a routing decision's detector scan over the conversation on every
    ShareGPT first turn: percentiles of the best of ``repeats`` timings per prompt, by
    prompt length; all four detectors (SQL also in its high-recall mode), and the ones the
    shipped policy's rules name (what ``Router`` runs)."""
    prompts = [normalize_prompt(ex.text, max_chars=10**9) for ex in sharegpt_examples()]
    lines = [
        f"{len(prompts)} ShareGPT first turns, best of {repeats}; "
        f"CPython {sys.version.split()[0]}.",
        "",
        "| detectors | prompts | n | p50 µs | p90 µs | p99 µs | max µs |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, names in (("all four", None), ("shipped policy: sql, pii", ("sql", "pii"))):
        best = [float("inf")] * len(prompts)
        for _ in range(repeats):
            for i, prompt in enumerate(prompts):
                clear_detector_caches()  # a new request: nothing shared with the previous one
                start = time.perf_counter()
                scan_prompt(prompt, ("sql",), names)
                best[i] = min(best[i], time.perf_counter() - start)
        buckets = (("all", 0, 10**9), ("< 1k chars", 0, 1000), ("1k-4k", 1000, 4000))
        for name, low, high in buckets + (("> 4k", 4000, 10**9),):
            times = sorted(
                t for t, p in zip(best, prompts, strict=True) if low <= len(p.detector_text) < high
            )
            q = [times[min(len(times) - 1, int(len(times) * f))] * 1e6 for f in (0.5, 0.9, 0.99)]
            cells = " | ".join(f"{x:.0f}" for x in (*q, times[-1] * 1e6))
            lines.append(f"| {label} | {name} | {len(times)} | {cells} |")
    return "\n".join(lines)


def detector_breakdown_markdown(repeats: int = 3) -> str:
    """Where the scan's time goes, on every ShareGPT first turn: each detector's own
    percentiles (cold caches, as in a new request; the SQL recall mode after the default
    one, so it reads the cached verdict), and each one's share of the time spent on the
    slowest 3 % of prompts, where the scan's p99 sits."""
    prompts = [normalize_prompt(ex.text, max_chars=10**9) for ex in sharegpt_examples()]
    runs = [(name, name, False) for name in DETECTORS] + [("sql:recall", "sql", True)]
    best = {label: [float("inf")] * len(prompts) for label, _, _ in runs}
    for _ in range(repeats):
        for i, prompt in enumerate(prompts):
            clear_detector_caches()
            for label, name, recall in runs:
                start = time.perf_counter()
                detect_turn(name, prompt, recall=recall)
                best[label][i] = min(best[label][i], time.perf_counter() - start)
    total = [sum(col) for col in zip(*best.values(), strict=True)]
    slow = sorted(range(len(prompts)), key=total.__getitem__)[-max(1, len(prompts) * 3 // 100) :]
    slow_time = sum(total[i] for i in slow)
    lines = [
        f"{len(prompts)} ShareGPT first turns, best of {repeats}; each detector alone, cold.",
        "",
        "| detector | p50 µs | p90 µs | p99 µs | max µs | share of the slowest 3 % |",
        "|---|---|---|---|---|---|",
    ]
    for label, times in (*best.items(), ("sum", total)):
        ordered = sorted(times)
        q = [ordered[min(len(ordered) - 1, int(len(ordered) * f))] * 1e6 for f in (0.5, 0.9, 0.99)]
        share = sum(times[i] for i in slow) / slow_time
        cells = " | ".join(f"{x:.0f}" for x in (*q, ordered[-1] * 1e6))
        lines.append(f"| {label} | {cells} | {share:.0%} |")
    return "\n".join(lines)


def _run_all(det: Callable[[str], bool], texts: Sequence[str]) -> list[bool]:
    return [det(t) for t in texts]


def _best(run: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best
