"""A real ``redis-server`` on a free loopback port, for the shared-state tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving._backends import stop_process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    args += ["no", "--dir", str(folder)]
    with (folder / "redis.log").open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"redis-server exited: {(folder / 'redis.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            time.sleep(0.05)
    else:
        stop_process(proc, timeout_s=5)
        pytest.fail("redis-server did not answer PING within 20 s")
    yield f"redis://127.0.0.1:{port}/0"
    stop_process(proc, timeout_s=5)
