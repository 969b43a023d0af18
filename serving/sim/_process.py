"""Child processes on loopback: ``tierroute backends`` (:class:`BackendProcess`) and
``tierroute serve`` (:class:`ServiceProcess`), for tests, benchmarks and the demo loop.

Each child runs ``python -c "from serving import main; main()" ...`` with this checkout
on ``PYTHONPATH``, binds a free 127.0.0.1 port, and is terminated (then killed) on stop.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier import litellm_env_defaults
from policies import BackendError

if TYPE_CHECKING:
    from serving.sim._answers import BackendConfig

__all__ = ["BackendProcess", "ServiceProcess", "free_port", "stop_process"]

_ROOT = Path(__file__).resolve().parents[2]  # the checkout, for the children's imports


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment (plus ``extra``) with the checkout on ``PYTHONPATH``."""
    env: dict[str, str] = {**os.environ, **(extra or {})}
    litellm_env_defaults(env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH")) if p)
    return env


def spawn_cli(args: Sequence[str], output: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """``tierroute ARGS`` in a child process, stdout and stderr to ``output``."""
    with output.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from serving import main; main()", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
        )


def wait_for_http(
    url: str, proc: subprocess.Popen[bytes], output: Path, what: str, timeout_s: float
) -> None:
    """Return once GET ``url`` answers 200; BackendError when ``proc`` exits or time runs out."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = output.read_text(errors="replace")[-2000:]
            raise BackendError(f"{what} exited ({proc.returncode}): {tail}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.05)
    tail = output.read_text(errors="replace")[-2000:]
    raise BackendError(f"{what}: no answer from {url} within {timeout_s:g} s: {tail}")


def stop_process(proc: subprocess.Popen[Any], *, timeout_s: float) -> None:
    """SIGTERM ``proc`` if it still runs; SIGKILL it when it has not exited in ``timeout_s``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout_s)


class BackendProcess:
    """The simulated backends in a child process on a free loopback port (for tests).

        with BackendProcess(config) as backend:
            client = openai.OpenAI(base_url=backend.base_url, api_key="x")

    The child runs ``tierroute backends --config FILE`` bound to 127.0.0.1 and is
    always terminated (then killed) on exit.
    """

    def __init__(
        self,
        config: BackendConfig | None = None,
        *,
        port: int | None = None,
        startup_timeout_s: float = 30.0,
    ) -> None:
        self.config = config
        self.port = port or free_port()
        self.startup_timeout_s = startup_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI ``base_url`` / litellm ``api_base``."""
        return f"{self.url}/v1"

    def start(self) -> BackendProcess:
        self._tmp = tempfile.TemporaryDirectory(prefix="tierroute-sim-")
        tmp = Path(self._tmp.name)
        args = ["backends", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.config is not None:
            (tmp / "config.json").write_text(self.config.model_dump_json(), encoding="utf-8")
            args += ["--config", str(tmp / "config.json")]
        env = child_env()
        self._proc = spawn_cli(args, tmp / "server.log", env)
        try:
            self._wait_healthy(tmp / "server.log")
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, log: Path) -> None:
        assert self._proc is not None
        wait_for_http(
            f"{self.url}/healthz", self._proc, log, "simulated backends", self.startup_timeout_s
        )

    def stats(self) -> dict[str, dict[str, int]]:
        """``GET /sim/stats``: requests and injected faults per model."""
        import httpx

        data: dict[str, dict[str, int]] = httpx.get(f"{self.url}/sim/stats", timeout=5).json()
        return data

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc, timeout_s=5)
        self._proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> BackendProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServiceProcess:
    """``tierroute serve ARGS`` in a child process on a free loopback port; ready when
    ``/readyz`` answers 200. :meth:`launch` returns at once (so the service can start
    while something else does), :meth:`start` also waits until it is ready."""

    def __init__(
        self,
        args: Sequence[str],
        output: Path,
        env: Mapping[str, str] | None = None,
        startup_timeout_s: float = 90.0,
    ) -> None:
        self.args = list(args)
        self.output = output
        self.env = dict(env or {})
        self.startup_timeout_s = startup_timeout_s
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> ServiceProcess:
        env = child_env({**self.env, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
        args = ["serve", *self.args, "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = spawn_cli(args, self.output, env)
        return self

    def wait_ready(self) -> None:
        assert self.proc is not None, "launch() first"
        url = f"{self.url}/readyz"
        wait_for_http(url, self.proc, self.output, "tierroute serve", self.startup_timeout_s)

    def start(self) -> ServiceProcess:
        self.launch()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout_s=10)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
