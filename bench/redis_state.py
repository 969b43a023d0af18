"""Several replicas, one state: what Redis costs per request and what it buys.

Starts a loopback ``redis-server``, the simulated backends (no simulated latency) and
``tierroute serve`` processes pointed at them (decision log off), then measures:

1. **Added latency of Redis state**: one replica with ``TIERROUTE_REDIS_URL`` and one
   without, the same requests to each in interleaved pairs (a key with a budget, rpm
   and tpm, and a follow-up turn of a named conversation, so every state operation
   runs: conversation GET/SET, spend GET/INCRBYFLOAT, rpm INCR, tpm GET/INCRBYFLOAT).
   Reported: p50/p99 of each, and of the per-pair difference.
2. **Two replicas** on one Redis (and, for contrast, two without it): conversations
   whose turns alternate between the replicas, ``--concurrency`` at a time; a follow-up
   "kept" its conversation when its decided tier is at least the tier that answered
   the previous turn (the policy says ``max_step_down: 0``). Then a budget key hammered
   by ``--concurrency`` clients over both replicas until both refuse: the spend past
   the budget is the overshoot (requests in flight when the budget ran out).

    .venv/bin/python bench/redis_state.py [--n 300] [--conversations 60] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _http_load import Connection, Service, free_port, load_prompts, percentile

from policies import default_policy_path
from serving import BackendProcess, default_backend_config
from serving.http import create_key

BUDGET_USD = 0.002


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def body_of(messages: list[dict[str, str]]) -> bytes:
    return json.dumps({"model": "tierroute/auto", "messages": messages}).encode()


async def latency_pairs(
    mem: Service, red: Service, key: str, prompts: list[str]
) -> dict[str, list[float]]:
    conns = {"memory": Connection(mem.port), "redis": Connection(red.port)}
    out: dict[str, list[float]] = {"memory": [], "redis": [], "added": []}
    for i, prompt in enumerate(prompts):
        messages = [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "and then?"},
        ]
        headers = {"authorization": f"Bearer {key}", "x-tierroute-conversation-id": f"lat-{i}"}
        times = {}
        order = ("memory", "redis") if i % 2 else ("redis", "memory")
        for name in order:
            t0 = time.perf_counter()
            status, _, _ = await conns[name].post(
                "/v1/chat/completions", body_of(messages), headers
            )
            times[name] = time.perf_counter() - t0
            if status != 200:
                raise RuntimeError(f"{name} answered {status}")
        if i >= 20:  # warm-up excluded
            out["memory"].append(times["memory"])
            out["redis"].append(times["redis"])
            out["added"].append(times["redis"] - times["memory"])
    for conn in conns.values():
        conn.close()
    return out


async def conversations(
    replicas: tuple[Service, Service], key: str, prompts: list[str], concurrency: int
) -> dict[str, int]:
    stats = {"requests": 0, "follow_ups": 0, "kept": 0, "errors": 0}
    tiers = ("small", "medium", "frontier")
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, prompt: str) -> None:
        async with gate:
            conns = [Connection(r.port) for r in replicas]
            messages = [{"role": "user", "content": prompt}]
            previous: str | None = None
            headers = {"authorization": f"Bearer {key}", "x-tierroute-conversation-id": f"c{index}"}
            for turn in range(3):
                conn = conns[(index + turn) % 2]
                status, got, data = await conn.post(
                    "/v1/chat/completions", body_of(messages), headers
                )
                stats["requests"] += 1
                if status != 200:
                    stats["errors"] += 1
                    break
                if previous is not None:
                    stats["follow_ups"] += 1
                    decided = got["x-tierroute-decided-tier"]
                    stats["kept"] += tiers.index(decided) >= tiers.index(previous)
                previous = got["x-tierroute-tier"]
                answer = json.loads(data)["choices"][0]["message"]["content"] or ""
                messages += [
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": ("thanks", "ok, shorter please")[turn % 2]},
                ]
            for conn in conns:
                conn.close()

    await asyncio.gather(*(one(i, p) for i, p in enumerate(prompts)))
    return stats


async def budget_run(
    replicas: tuple[Service, Service], key: str, concurrency: int
) -> dict[str, Any]:
    spent: list[float] = []
    refused = [0, 0]
    headers = {"authorization": f"Bearer {key}"}

    async def client(index: int) -> None:
        conn = Connection(replicas[index % 2].port)
        i = 0
        while refused[index % 2] < concurrency and i < 500:
            i += 1
            messages = [{"role": "user", "content": f"Say hi number {index}-{i}"}]
            status, got, _ = await conn.post("/v1/chat/completions", body_of(messages), headers)
            if status == 200:
                spent.append(float(got["x-tierroute-cost-usd"]))
            elif status == 429:
                refused[index % 2] += 1
                break
            else:
                raise RuntimeError(f"budget run: status {status}")
        conn.close()

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    total = sum(spent)
    return {
        "served": len(spent),
        "refused": sum(refused),
        "spent": total,
        "overshoot": total - BUDGET_USD,
        "mean_cost": statistics.fmean(spent) if spent else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="latency pairs")
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tierroute-redis-bench-"))
    redis, url = start_redis(folder)
    try:
        with BackendProcess(default_backend_config(latency_scale=0.0)) as backend:
            run(args, folder, url, backend)
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path, url: str, backend: BackendProcess) -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8790/v1", backend.base_url)
    policy = folder / "policy.yaml"
    policy.write_text(text + "\nconversations:\n  sticky: true\n  max_step_down: 0\n")
    keys = folder / "keys.yaml"
    limited, _ = create_key(keys, "bench", budget_usd=1e6, per="day", rpm=10**6, tpm=10**9)
    free, _ = create_key(keys, "conv")
    budget, _ = create_key(keys, "budget", budget_usd=BUDGET_USD, per="day")
    common = ("--policy", str(policy), "--decision-log", "", "--api-keys-file", str(keys))
    env = {"TIERROUTE_POLICY_POLL_S": "", "TIERROUTE_MODEL_POLL_S": ""}
    prompts = load_prompts(args.n + 20)
    with Service(*common, env=env) as mem, Service(*common, "--redis-url", url, env=env) as red:
        lat = asyncio.run(latency_pairs(mem, red, limited, prompts))
        with Service(*common, env=env) as mem2:
            plain = asyncio.run(
                conversations((mem, mem2), free, prompts[: args.conversations], args.concurrency)
            )
        with Service(*common, "--redis-url", url, env=env) as red2:
            shared = asyncio.run(
                conversations((red, red2), free, prompts[: args.conversations], args.concurrency)
            )
            spend = asyncio.run(budget_run((red, red2), budget, args.concurrency))
    print(f"latency over {len(lat['added'])} request pairs (ms):")
    for name in ("memory", "redis", "added"):
        values = lat[name]
        p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
        print(f"  {name:7s} p50 {p50:7.2f}  p99 {p99:7.2f}")
    for label, stats in (("two replicas, no Redis", plain), ("two replicas, Redis", shared)):
        kept = stats["kept"] / stats["follow_ups"] if stats["follow_ups"] else float("nan")
        print(
            f"{label}: {stats['requests']} requests, {stats['errors']} errors, "
            f"stickiness kept {stats['kept']}/{stats['follow_ups']} ({kept:.1%})"
        )
    print(
        f"budget ${BUDGET_USD} over two replicas, {args.concurrency} concurrent clients: "
        f"{spend['served']} served, {spend['refused']} refused, spent ${spend['spent']:.6f}, "
        f"overshoot ${spend['overshoot']:.6f} ({spend['overshoot'] / BUDGET_USD:.1%} of the "
        f"budget, {spend['overshoot'] / spend['mean_cost']:.1f} mean requests)"
    )


if __name__ == "__main__":
    main()
