"""Shared pieces of the HTTP benchmarks: a service process and a cheap load generator.

The load generator speaks HTTP/1.1 keep-alive over raw asyncio streams (no httpx),
so on a small machine the client costs far less CPU than the server it measures.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def load_prompts(n: int) -> list[str]:
    """ShareGPT first-turn prompts from the shared data, else the shipped examples."""
    from classifier import shared_data_dir

    try:
        path = shared_data_dir() / "sharegpt_prompts" / "sharegpt_v3_first_turn_prompts.jsonl"
        lines = path.read_text(encoding="utf-8").split("\n")[: n * 2]
    except OSError:  # no shared data: the examples shipped with the project
        lines = (ROOT / "examples" / "prompts.jsonl").read_text(encoding="utf-8").split("\n")
    prompts = [json.loads(line)["prompt"] for line in lines if line.strip()]
    prompts = [p for p in prompts if p.strip()]
    return (prompts * (n // max(len(prompts), 1) + 1))[:n]


class Service:
    """``tierroute serve`` in a child process; ``extra`` args are appended."""

    def __init__(self, *extra: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.extra = extra
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="tierroute-bench-")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Service:
        env = {**os.environ, **self.env, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        env["PYTHONPATH"] = str(ROOT)
        log = Path(self._tmp.name) / "service.out"
        args = ["serve", "--port", str(self.port), *self.extra]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from serving import main; main()", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(log.read_text()[-3000:])
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("service did not become ready")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the service and its worker processes so far (Linux)."""
        assert self.proc is not None
        return sum(_cpu(pid) for pid in [self.proc.pid, *_children(self.proc.pid)])

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        self._tmp.cleanup()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids = (task / "children").read_text().split()
        found += [int(k) for k in kids]
    return found + [g for k in found for g in _children(k)]


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies_s) / self.seconds if self.seconds else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies_s, q) * 1000 if self.latencies_s else float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON bodies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        found = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        found = {k.lower(): v for k, v in found.items()}
        data = await self.reader.readexactly(int(found.get("content-length", "0")))
        return status, found, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _client(
    port: int, path: str, bodies: list[bytes], offset: int, stop_at: float, result: LoadResult
) -> None:
    connection = Connection(port)
    i = offset
    try:
        while time.perf_counter() < stop_at:
            body = bodies[i % len(bodies)]
            i += 1
            t0 = time.perf_counter()
            status, _, _ = await connection.post(path, body)
            if status == 200:
                result.latencies_s.append(time.perf_counter() - t0)
            else:
                result.errors += 1
    finally:
        connection.close()


async def run_load(
    port: int, path: str, bodies: list[bytes], clients: int, seconds: float
) -> LoadResult:
    """``clients`` keep-alive connections sending ``bodies`` round-robin for ``seconds``."""
    result = LoadResult()
    started = time.perf_counter()
    stop_at = started + seconds
    step = max(len(bodies) // clients, 1)
    await asyncio.gather(
        *(_client(port, path, bodies, k * step, stop_at, result) for k in range(clients))
    )
    result.seconds = time.perf_counter() - started
    return result
