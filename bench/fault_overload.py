"""Faults and overload against ``tierroute serve`` + the simulated backends.

**Fault table**: both speculative deployments (small and medium tier) break in one way:
``500``, ``429``, ``timeout`` (the backend hangs), ``refused`` (nothing listens at their
``api_base``) or ``drop_stream`` (streams cut halfway; requests stream). ``--requests``
``tierroute/auto`` requests go out, ``--concurrency`` at a time. Per fault: requests
answered (200, streams that end with ``[DONE]`` and no error event), calls to the broken
deployments (what the backends saw; for ``refused`` the attempts in the decision log)
and the p50 latency of all requests.

**Overload**: healthy backends; ``C`` clients each send ``--per-client`` requests in
turn, each with a ``--deadline-s`` client deadline (the connection is closed when it
passes). Per run: answered in time, shed (429/503), late (deadline passed), other
errors, backend calls made (what the backends saw) and how many of those were wasted
(made, but no answer reached a client in time), and the worst ``/healthz`` latency
seen while the load ran.

**Batch**: one ``/v1/route`` batch per ``--batches`` size (prompts cut to 100
characters) while ``/healthz`` is probed every 20 ms: its status, how long it took and
the worst ``/healthz`` latency.

    .venv/bin/python bench/fault_overload.py [--code-root DIR] [--only faults|overload|batch]

``--code-root`` is the checkout whose ``serving`` runs the service and the backends
(default: this one), so the same script measures an older commit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _http_load import free_port, load_prompts, percentile

ROOT = Path(__file__).resolve().parents[1]
SPEC_MODELS = ("mistral-7b-chat-spec", "mixtral-8x7b-chat-spec")
FAULTS = ("500", "429", "timeout", "refused", "drop_stream")


@contextmanager
def process(args: list[str], root: Path, env: dict[str, str], ready_url: str) -> Iterator[None]:
    """``tierroute ARGS`` from checkout ``root`` until the block ends."""
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": str(root),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    with tempfile.NamedTemporaryFile(prefix="tierroute-bench-", suffix=".log") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from serving import main; main()", *args],
            stdout=log, stderr=subprocess.STDOUT, env=full_env, cwd=root,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 180
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(Path(log.name).read_text(errors="replace")[-3000:])
                try:
                    if httpx.get(ready_url, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def backend_config(fault: str | None, path: Path) -> None:
    from serving import default_backend_config

    config = default_backend_config()
    data = json.loads(config.model_dump_json())
    for model in data["models"]:
        if fault not in (None, "refused") and model["name"] in SPEC_MODELS:
            model["fail_rate"], model["fault"] = 1.0, fault
    path.write_text(json.dumps(data), encoding="utf-8")


def policy_file(backend_port: int, fault: str | None, path: Path) -> None:
    import yaml

    from policies import default_policy_path

    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    for tier in data["tiers"]:
        for dep in tier["deployments"]:
            dep["api_base"] = f"http://127.0.0.1:{backend_port}/v1"
            if fault == "refused" and dep["model"].split("/", 1)[-1] in SPEC_MODELS:
                dep["api_base"] = dead
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


@contextmanager
def stack(root: Path, fault: str | None, env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Backends + service; yields their URLs and the decision-log path."""
    with tempfile.TemporaryDirectory(prefix="tierroute-faults-") as tmp:
        bport, sport = free_port(), free_port()
        config, policy, log = Path(tmp, "sim.json"), Path(tmp, "policy.yaml"), Path(tmp, "d.jsonl")
        backend_config(fault, config)
        policy_file(bport, fault, policy)
        back = ["backends", "--port", str(bport), "--config", str(config)]
        serve = ["serve", "--port", str(sport), "--policy", str(policy)]
        serve += ["--decision-log", str(log)]
        with process(back, root, {}, f"http://127.0.0.1:{bport}/healthz"):
            with process(serve, root, env, f"http://127.0.0.1:{sport}/readyz"):
                yield {"backend": f"http://127.0.0.1:{bport}", "port": sport, "log": log}


def sim_calls(backend: str) -> dict[str, int]:
    data: dict[str, dict[str, int]] = httpx.get(f"{backend}/sim/stats", timeout=10).json()
    return data["requests"]


def body(prompt: str, stream: bool) -> bytes:
    messages = [{"role": "user", "content": prompt}]
    return json.dumps({"model": "tierroute/auto", "messages": messages, "stream": stream}).encode()


async def post(port: int, data: bytes, deadline_s: float) -> tuple[str, float]:
    """One request on a fresh connection: (``ok``|``shed``|``late``|``error``, seconds)."""
    t0 = time.perf_counter()
    writer = None
    try:
        async with asyncio.timeout(deadline_s):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            head = (
                "POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            )
            writer.write(head.encode() + data)
            raw = await reader.read()  # until the server closes (Connection: close)
    except TimeoutError:
        return "late", time.perf_counter() - t0
    except OSError:
        return "error", time.perf_counter() - t0
    finally:
        if writer is not None:
            writer.close()
    seconds = time.perf_counter() - t0
    status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0
    if status in (429, 503):
        return "shed", seconds
    payload = raw.split(b"\r\n\r\n", 1)[-1]
    if b"text/event-stream" in raw[:2000]:
        good = b"data: [DONE]" in payload and b'"error"' not in payload
        return ("ok" if status == 200 and good else "error"), seconds
    return ("ok" if status == 200 else "error"), seconds


def settled_calls(backend: str, quiet_s: float = 10.0, max_s: float = 180.0) -> int:
    """Backend calls so far, once none came for ``quiet_s`` (abandoned work included)."""
    last, since, start = -1, time.monotonic(), time.monotonic()
    while time.monotonic() - start < max_s:
        now = sum(sim_calls(backend).values())
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
        time.sleep(0.5)
    return last


def logged_attempts(log: Path, models: tuple[str, ...]) -> int:
    count = 0
    for path in [log, *log.parent.glob(f"{log.stem}.*{log.suffix}")]:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            count += sum(a["model"].split("/", 1)[-1] in models for a in record.get("attempts", []))
    return count


async def fault_run(port: int, prompts: list[str], stream: bool, concurrency: int) -> list[Any]:
    gate = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> tuple[str, float]:
        async with gate:
            return await post(port, body(prompt, stream), 120.0)

    return list(await asyncio.gather(*(one(p) for p in prompts)))


def fault_table(root: Path, n: int, concurrency: int, timeout_s: float) -> list[dict[str, Any]]:
    rows = []
    prompts = load_prompts(n)
    for fault in FAULTS:
        env = {"TIERROUTE_BACKEND_TIMEOUT_S": str(timeout_s)}
        with stack(root, fault, env) as s:
            before = sim_calls(s["backend"])
            t0 = time.perf_counter()
            results = asyncio.run(
                fault_run(s["port"], prompts, fault == "drop_stream", concurrency)
            )
            wall = time.perf_counter() - t0
            after = sim_calls(s["backend"])
            time.sleep(1.5)  # the decision log's interval flush
            broken = sum(after.get(m, 0) - before.get(m, 0) for m in SPEC_MODELS)
            attempts = logged_attempts(s["log"], SPEC_MODELS)
        seconds = [t for _, t in results]
        rows.append({
            "fault": fault, "requests": len(results),
            "answered": sum(r == "ok" for r, _ in results),
            "broken_calls": broken if fault != "refused" else attempts,
            "broken_attempts_logged": attempts,
            "p50_s": round(statistics.median(seconds), 3), "wall_s": round(wall, 1),
        })  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
    return rows


async def overload_run(
    port: int, prompts: list[str], clients: int, per_client: int, deadline_s: float
) -> dict[str, Any]:
    outcomes: list[str] = []
    health: list[float] = []
    done = asyncio.Event()

    async def client(k: int) -> None:
        for i in range(per_client):
            prompt = prompts[(k * per_client + i) % len(prompts)]
            outcome, _ = await post(port, body(prompt, False), deadline_s)
            outcomes.append(outcome)

    async def probe() -> None:  # a probe past 30 s counts as 30 s
        async with httpx.AsyncClient(timeout=30) as http:
            while not done.is_set():
                t0 = time.perf_counter()
                try:
                    await http.get(f"http://127.0.0.1:{port}/healthz")
                except httpx.TimeoutException:
                    pass
                health.append(time.perf_counter() - t0)
                await asyncio.sleep(0.25)

    prober = asyncio.create_task(probe())
    await asyncio.gather(*(client(k) for k in range(clients)))
    done.set()
    await prober
    result: dict[str, Any] = {k: outcomes.count(k) for k in ("ok", "shed", "late", "error")}
    result["healthz_p50_ms"] = round(percentile(health, 50) * 1000, 1) if health else None
    result["healthz_max_ms"] = round(max(health) * 1000, 1) if health else None
    return result


def overload(root: Path, client_counts: list[int], per_client: int, deadline_s: float) -> list[Any]:
    rows = []
    prompts = load_prompts(2000)
    for clients in client_counts:
        with stack(root, None, {}) as s:
            asyncio.run(fault_run(s["port"], prompts[:8], False, 4))  # warm up
            before = sum(sim_calls(s["backend"]).values())
            t0 = time.perf_counter()
            result = asyncio.run(overload_run(s["port"], prompts, clients, per_client, deadline_s))
            wall = time.perf_counter() - t0
            calls = settled_calls(s["backend"]) - before
        row = {"clients": clients, "requests": clients * per_client, **result}
        row |= {"backend_calls": calls, "wasted_calls": max(calls - result["ok"], 0)}
        row["wall_s"] = round(wall, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


async def batch_run(port: int, prompts: list[str]) -> dict[str, Any]:
    """One ``/v1/route`` batch of ``prompts`` while ``/healthz`` is probed every 20 ms."""
    health: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            while not done.is_set():
                t0 = time.perf_counter()
                await http.get(f"http://127.0.0.1:{port}/healthz")
                health.append(time.perf_counter() - t0)
                await asyncio.sleep(0.02)

    prober = asyncio.create_task(probe())
    await asyncio.sleep(0.2)
    async with httpx.AsyncClient(timeout=300) as http:
        t0 = time.perf_counter()
        response = await http.post(f"http://127.0.0.1:{port}/v1/route", json={"prompts": prompts})
        seconds = time.perf_counter() - t0
    done.set()
    await prober
    return {
        "batch": len(prompts), "status": response.status_code, "batch_s": round(seconds, 2),
        "healthz_max_ms": round(max(health) * 1000, 1), "healthz_probes": len(health),
    }  # fmt: skip


def batches(root: Path, sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    with stack(root, None, {}) as s:
        for size in sizes:
            prompts = [p[:100] for p in load_prompts(size)]  # 20,000 fit the body limit
            rows.append(asyncio.run(batch_run(s["port"], prompts)))
            print(json.dumps(rows[-1]), flush=True)
    return rows


def print_tables(
    faults: list[dict[str, Any]], runs: list[dict[str, Any]], sized: list[dict[str, Any]]
) -> None:
    if faults:
        print("\n| fault | answered | calls to broken deployments | p50 s |")
        print("|---|---|---|---|")
        for r in faults:
            calls = f"{r['broken_calls']}" + (
                " (logged attempts)" if r["fault"] == "refused" else ""
            )
            print(f"| {r['fault']} | {r['answered']}/{r['requests']} | {calls} | {r['p50_s']} |")
    if runs:
        print("\n| clients | requests | answered in time | shed 429/503 | late | errors "
              "| backend calls | wasted calls | /healthz max ms |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|")
        for r in runs:
            print(f"| {r['clients']} | {r['requests']} | {r['ok']} | {r['shed']} | {r['late']} "
                  f"| {r['error']} | {r['backend_calls']} | {r['wasted_calls']} "
                  f"| {r['healthz_max_ms']} |")  # fmt: skip
    if sized:
        print("\n| /v1/route batch | status | batch s | /healthz max ms during it |")
        print("|---|---|---|---|")
        for r in sized:
            print(f"| {r['batch']} | {r['status']} | {r['batch_s']} | {r['healthz_max_ms']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--code-root", type=Path, default=ROOT)
    parser.add_argument("--only", choices=["faults", "overload", "batch"])
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 20000])
    parser.add_argument("--requests", type=int, default=40, help="requests per fault")
    parser.add_argument("--concurrency", type=int, default=4, help="fault runs")
    parser.add_argument("--backend-timeout-s", type=float, default=5.0, help="fault runs")
    parser.add_argument("--clients", type=int, nargs="+", default=[200, 400])
    parser.add_argument("--per-client", type=int, default=4)
    parser.add_argument("--deadline-s", type=float, default=3.0)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    root = args.code_root.resolve()
    faults: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    sized: list[dict[str, Any]] = []
    if args.only in (None, "batch"):
        sized = batches(root, args.batches)
    if args.only in (None, "faults"):
        faults = fault_table(root, args.requests, args.concurrency, args.backend_timeout_s)
    if args.only in (None, "overload"):
        runs = overload(root, args.clients, args.per_client, args.deadline_s)
    print_tables(faults, runs, sized)
    if args.json:
        data = {"faults": faults, "overload": runs, "batches": sized}
        args.json.write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
