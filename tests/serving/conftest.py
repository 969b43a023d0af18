"""A real ``redis-server`` on a free loopback port, for the shared-state tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving.sim import free_port, stop_process
from tests.fakes import wait_until


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redis://127.0.0.1:<port>/0`` of a redis-server this fixture starts (no disk
    persistence, its files in a temp dir); skips when the binary is not installed, fails
    instead when ``TIERROUTE_TEST_REQUIRE_REDIS=1`` (as ``.ci/run`` sets it)."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing = "redis-server is not installed (Debian: apt-get install redis-server)"
        if os.environ.get("TIERROUTE_TEST_REQUIRE_REDIS") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    folder: Path = tmp_path_factory.mktemp("redis")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    args += ["no", "--dir", str(folder)]
    with (folder / "redis.log").open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    def answers_ping() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"redis-server exited: {(folder / 'redis.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        wait_until(answers_ping, "redis-server to answer PING", timeout_s=20)
    except AssertionError:
        stop_process(proc, timeout_s=5)
        raise
    yield f"redis://127.0.0.1:{port}/0"
    stop_process(proc, timeout_s=5)
