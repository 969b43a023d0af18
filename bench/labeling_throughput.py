"""Labeling throughput: tierroute's pipeline vs a straightforward pandas + json baseline.

Generates an OpenAI-format JSONL log of ``--n`` records in a temp dir (prompts are
ShareGPT first turns read from ../shared/data at run time, never copied; responses,
models, tokens and feedback are synthetic), then labels it twice, each in a fresh
subprocess limited to ``--threads`` polars threads: with ``labeling.run_labeling``
(heuristic functions only, judge off) and with a pandas baseline doing the same steps
(parse, scrub PII, dedup, length/detector votes, write Parquet). Prints rows/min and
peak RSS of each.

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


def run_pipeline(path: Path, out: Path) -> int:
    from labeling import LabelConfig, run_labeling

    result = run_labeling([path], out, LabelConfig(functions=HEURISTICS))
    return int(result.card["counts"]["input_records"])


def run_baseline(path: Path, out: Path) -> int:
    import pandas as pd

    from labeling import PII_PATTERNS
    from router import detect_code, detect_math, detect_sql, estimate_tokens

    rows = []
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
    frame = pd.DataFrame(rows)
    for kind, rust_pattern in PII_PATTERNS.items():
        pattern = rust_pattern.replace("(?-u:\\b)", "\\b")  # pyarrow's RE2 syntax
        for column in ("prompt", "response", "messages"):
            frame[column] = frame[column].str.replace(pattern, f"<{kind.upper()}>", regex=True)
    frame["key"] = frame["prompt"].str.lower().str.split().str.join(" ")
    groups = frame.groupby("key", sort=False).agg(text=("prompt", "first"), n=("prompt", "size"))
    groups["tokens"] = groups["text"].map(estimate_tokens)
    for name, detect in (("code", detect_code), ("sql", detect_sql), ("math", detect_math)):
        groups[name] = groups["text"].map(detect)
    out.mkdir(parents=True, exist_ok=True)
    groups.reset_index(drop=True).to_parquet(out / "labels.parquet")
    return len(frame)


def worker(kind: str, path: Path, out: Path) -> None:
    start = time.perf_counter()
    n = (run_pipeline if kind == "pipeline" else run_baseline)(path, out)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"kind": kind, "rows": n, "seconds": seconds, "peak_rss_mib": peak_kib / 1024})
    )


def measure(kind: str, path: Path, out: Path, threads: int) -> dict[str, float]:
    env = dict(os.environ, POLARS_MAX_THREADS=str(threads), LITELLM_LOCAL_MODEL_COST_MAP="True")
    command = [sys.executable, __file__, "--worker", kind, "--input", str(path), "--out", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


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
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--worker", choices=("pipeline", "baseline"))
    parser.add_argument("--input", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.input, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="tierroute-bench-") as tmp:
        path = Path(tmp) / "openai_log.jsonl"
        start = time.perf_counter()
        size = generate(path, args.n, args.unique_share)
        print(
            f"generated {args.n:,} records, {size / 2**20:,.0f} MiB "
            f"in {time.perf_counter() - start:.0f} s"
        )
        kinds = ["pipeline"] + ([] if args.skip_baseline else ["baseline"])
        print(f"{'':10} {'rows/min':>12} {'seconds':>9} {'peak RSS MiB':>13}")
        for kind in kinds:
            r = measure(kind, path, Path(tmp) / kind, args.threads)
            print(
                f"{kind:10} {r['rows'] / r['seconds'] * 60:>12,.0f} {r['seconds']:>9.1f} "
                f"{r['peak_rss_mib']:>13,.0f}"
            )


if __name__ == "__main__":
    main()
