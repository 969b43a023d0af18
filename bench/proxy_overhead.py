"""Latency the proxy adds: ``/v1/chat/completions`` vs calling the same backend via litellm.

Starts the simulated backends (no simulated latency) and ``tierroute serve`` pointed at
them, then for each prompt sends (1) ``tierroute/auto`` through the service and (2) the
same messages straight to the model the service used (``x-tierroute-model``) with
``litellm.acompletion``, one after the other. The added latency is the per-pair
difference: HTTP hop, parsing, routing (classifier + rules), the litellm Router,
decision log and metrics. Run:

    .venv/bin/python bench/proxy_overhead.py [--n 300] [--decision-log off|interval]

Target on a 2-core machine: <= 3 ms p50 added.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from _http_load import Connection, Service, load_prompts, percentile
from rich.console import Console
from rich.table import Table

from classifier import litellm_env_defaults
from policies import default_policy_path
from serving import BackendProcess, default_backend_config


async def measure(
    service: Service, backend: BackendProcess, prompts: list[str]
) -> dict[str, list[float]]:
    import litellm

    litellm.suppress_debug_info = True
    connection = Connection(service.port)
    out: dict[str, list[float]] = {"proxy": [], "direct": [], "added": [], "cpu": [0.0, 0.0]}
    for i, prompt in enumerate(prompts):
        if i == 20:  # this process's CPU: direct calls plus litellm's background logging
            service_cpu, own_cpu = service.cpu_seconds(), time.process_time()
        messages = [{"role": "user", "content": prompt}]
        body = json.dumps({"model": "tierroute/auto", "messages": messages}).encode()
        t0 = time.perf_counter()
        status, headers, _ = await connection.post("/v1/chat/completions", body)
        proxy = time.perf_counter() - t0
        if status != 200:
            raise RuntimeError(f"proxy answered {status}")
        t0 = time.perf_counter()
        await litellm.acompletion(
            model=headers["x-tierroute-model"],
            messages=messages,
            api_base=backend.base_url,
            api_key="unused",
        )
        direct = time.perf_counter() - t0
        if i >= 20:
            # the first calls warm caches and connections
            out["proxy"].append(proxy * 1000)
            out["direct"].append(direct * 1000)
            out["added"].append((proxy - direct) * 1000)
    connection.close()
    n = max(len(prompts) - 20, 1)
    direct_cpu = time.process_time() - own_cpu  # includes the (cheap) raw-socket client
    out["cpu"] = [(service.cpu_seconds() - service_cpu) * 1000 / n, direct_cpu * 1000 / n]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--decision-log", choices=["off", "interval"], default="interval")
    args = parser.parse_args()
    litellm_env_defaults()
    prompts = load_prompts(args.n + 20)
    console = Console()
    with (
        tempfile.TemporaryDirectory() as tmp,
        BackendProcess(default_backend_config(latency_scale=0)) as backend,
    ):
        policy = Path(tmp) / "policy.yaml"
        text = default_policy_path().read_text(encoding="utf-8")
        policy.write_text(text.replace("http://127.0.0.1:8790/v1", backend.base_url), "utf-8")
        log = "" if args.decision_log == "off" else str(Path(tmp) / "decisions.jsonl")
        with Service("--policy", str(policy), "--decision-log", log) as service:
            with console.status(f"{len(prompts)} request pairs"):
                result = asyncio.run(measure(service, backend, prompts))
    table = Table(
        title=f"proxy overhead, {len(result['added'])} pairs, decision log {args.decision_log}"
    )
    for column in ("", "p50 ms", "p90 ms", "p99 ms", "mean ms"):
        table.add_column(column, justify="right")
    for name in ("proxy", "direct", "added"):  # "cpu" holds two totals, not samples
        values = result[name]
        table.add_row(
            name,
            *(f"{percentile(values, q):.2f}" for q in (50, 90, 99)),
            f"{statistics.fmean(values):.2f}",
        )
    console.print(table)
    console.print("added = proxy - direct per pair (same prompt, same model, back to back)")
    service_ms, direct_ms = result["cpu"]
    added = service_ms - direct_ms
    console.print(
        f"CPU per request: service {service_ms:.2f} ms (HTTP, routing, litellm Router, log, "
        f"metrics) vs direct litellm {direct_ms:.2f} ms -> added {added:.2f} ms "
        "(the stable figure on a busy machine)"
    )


if __name__ == "__main__":
    main()
