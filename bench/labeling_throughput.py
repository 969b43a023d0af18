"""Labeling throughput: tierroute's pipeline vs a straightforward pandas + json baseline.

Generates an OpenAI-format JSONL log of ``--n`` records (in a temp dir, or at ``--data``
to reuse it across runs; prompts are ShareGPT first turns read from ../shared/data at
run time, never copied; responses, models, tokens and feedback are synthetic), then
labels it twice, each in a fresh subprocess limited to ``--threads`` polars threads:
with ``labeling.run_labeling`` (heuristic functions only, judge off, ``--workers``
prompt workers) and with a pandas baseline doing the same steps (parse with ``json``,
scrub prompts with router's PII finder, dedup, length/detector votes, write Parquet).

Prints rows/min, wall seconds, CPU seconds (the process and its workers), peak RSS of
the main process and of the whole process tree (sampled every 0.2 s), the input size,
and the load average before and after (the machine may be shared).

    PYTHONPATH=. python bench/labeling_throughput.py --n 2000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MODELS = ("mistral-7b-chat", "mixtral-8x7b-chat", "gpt-4-1106-preview")
HEURISTICS = (
    "outcome",
    "escalation",
    "feedback",
    "failure",
    "length",
    "code",
    "sql",
    "math",
    "multistep",
    "language",
)


def generate(path: Path, n: int, unique_share: float, seed: int = 3) -> int:
    from classifier import shared_data_dir

    source = shared_data_dir() / "sharegpt_prompts" / "sharegpt_v3_first_turn_prompts.jsonl"
    prompts = [json.loads(line)["prompt"][:8000] for line in source.open(encoding="utf-8")]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            prompt = rng.choice(prompts)
            if rng.random() < unique_share:
                prompt = f"{prompt}\n(ticket {i})"
            model = rng.choice(MODELS)
            record = {
                "request_id": f"r{i}",
                "timestamp": 1790000000 + i,
                "request": {"model": model, "messages": [{"role": "user", "content": prompt}]},
                "response": {
                    "id": f"c{i}",
                    "created": 1790000000 + i,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": "Sure. " * 20},
                        }
                    ],
                    "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": 30},
                },
                "latency_ms": 250.0,
                "feedback": rng.choice((None, None, None, 1, -1)),
            }
            handle.write(json.dumps(record) + "\n")
    return path.stat().st_size


def run_pipeline(path: Path, out: Path, workers: int) -> int:
    from labeling import LabelConfig, run_labeling

    result = run_labeling([path], out, LabelConfig(functions=HEURISTICS), workers=workers)
    return int(result.card["counts"]["input_records"])


def scrub(text: str) -> str:
    from router import find_pii

    for match in reversed(find_pii(text)):
        text = text[: match.start] + f"<{match.kind.upper()}>" + text[match.end :]
    return text


def run_baseline(path: Path, out: Path, workers: int) -> int:
    import pandas as pd

    from labeling import clip  # the pipeline's detectors see the same text
    from router import detect_code, detect_math, detect_sql, estimate_tokens

    chunks, rows = [], []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            obj = json.loads(line)
            messages = obj["request"]["messages"]
            choice = obj["response"]["choices"][0]
            rows.append(
                {
                    "request_id": obj["request_id"],
                    "prompt": messages[-1]["content"],
                    "model": obj["response"]["model"],
                    "response": choice["message"]["content"],
                    "messages": json.dumps(messages),
                    "feedback": obj.get("feedback"),
                }
            )
            if len(rows) == 100_000:  # a frame per 100k lines: Python dicts stay bounded
                chunks.append(pd.DataFrame(rows))
                rows = []
    frame = pd.concat([*chunks, pd.DataFrame(rows)], ignore_index=True)
    del chunks, rows
    frame["prompt"] = frame["prompt"].map(scrub)
    normalized = frame["prompt"].str.lower().str.replace(r"[ \t\r\n\f\v]+", " ", regex=True)
    frame["key"] = normalized.str.strip(" ")
    groups = frame.groupby("key", sort=False).agg(text=("prompt", "first"), n=("prompt", "size"))
    groups["tokens"] = groups["text"].map(estimate_tokens)
    for name, detect in (("code", detect_code), ("sql", detect_sql), ("math", detect_math)):
        groups[name] = groups["text"].map(lambda t, d=detect: d(clip(t)))
    out.mkdir(parents=True, exist_ok=True)
    groups.reset_index(drop=True).to_parquet(out / "labels.parquet")
    return len(frame)


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [p for c in task.read_text().split() for p in _tree(int(c))]
        except OSError:
            continue
    return found


def worker(kind: str, path: Path, out: Path, workers: int) -> None:
    peak = {"tree": 0.0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak["tree"] = max(peak["tree"], sum(map(_rss_mib, _tree(os.getpid()))))

    threading.Thread(target=sample, daemon=True).start()
    start = time.perf_counter()
    n = (run_pipeline if kind == "pipeline" else run_baseline)(path, out, workers)
    seconds = time.perf_counter() - start
    done.set()
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    result = {
        "kind": kind,
        "rows": n,
        "seconds": seconds,
        "cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
        "peak_rss_mib": me.ru_maxrss / 1024,
        "peak_tree_rss_mib": max(peak["tree"], me.ru_maxrss / 1024),
    }
    print(json.dumps(result))


def measure(kind: str, path: Path, out: Path, threads: int, workers: int) -> dict[str, float]:
    env = dict(os.environ, POLARS_MAX_THREADS=str(threads), LITELLM_LOCAL_MODEL_COST_MAP="True")
    command = [sys.executable, __file__, "--worker", kind, "--input", str(path), "--out", str(out)]
    command += ["--workers", str(workers)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        why = "killed (out of memory?)" if done.returncode == -9 else f"exit {done.returncode}"
        raise SystemExit(f"{kind} failed, {why}:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def report(kinds: list[str], path: Path, tmp: Path, args: argparse.Namespace) -> None:
    size = path.stat().st_size
    print(f"input {path.name}: {size / 2**20:,.0f} MiB; {os.cpu_count()} CPUs")
    head = f"{'':10} {'rows/min':>11} {'wall s':>7} {'CPU s':>7} {'RSS MiB':>8} {'tree MiB':>9}"
    print(head + "  load avg (1/5/15 min) before -> after")
    for kind in kinds:
        before = _load()
        r = measure(kind, path, tmp / kind, args.threads, args.workers)
        print(
            f"{kind:10} {r['rows'] / r['seconds'] * 60:>11,.0f} {r['seconds']:>7.1f} "
            f"{r['cpu_seconds']:>7.1f} {r['peak_rss_mib']:>8,.0f} {r['peak_tree_rss_mib']:>9,.0f}"
            f"  {before} -> {_load()}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2_000_000, help="records to generate")
    parser.add_argument(
        "--unique-share",
        type=float,
        default=0.3,
        help="share of records given a unique suffix (the rest repeat prompts)",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="prompt worker processes")
    parser.add_argument("--data", type=Path, help="keep the generated log here (reused)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--worker", choices=("pipeline", "baseline"))
    parser.add_argument("--input", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.input, args.out, args.workers)
        return
    kinds = ["pipeline"] + ([] if args.skip_baseline else ["baseline"])
    with tempfile.TemporaryDirectory(prefix="tierroute-bench-") as tmp:
        path = args.data or Path(tmp) / "openai_log.jsonl"
        if not path.exists():
            start = time.perf_counter()
            generate(path, args.n, args.unique_share)
            print(f"generated {args.n:,} records in {time.perf_counter() - start:.0f} s")
        report(kinds, path, Path(tmp), args)


if __name__ == "__main__":
    main()
