from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Never reach a network hub or the remote litellm cost map from tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from classifier import litellm_env_defaults, shared_data_dir  # noqa: E402
from tests.fakes import wait_until  # noqa: E402

litellm_env_defaults()


@pytest.fixture(scope="session")
def shared_data() -> os.PathLike[str]:
    path = shared_data_dir()
    if not (path / "routerbench").is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    def healthy() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"mlflow server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:  # a cold mlflow import on 2 busy cores is slow
        wait_until(healthy, "the mlflow server's /health", timeout_s=240, interval_s=0.5)
    except AssertionError as exc:
        pytest.fail(f"{exc}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server`` on loopback (sqlite backend, local artifact root), shared by
    the registry and review tests of one session."""
    root = tmp_path_factory.mktemp("mlflow-server")
    from serving.sim import free_port

    port = free_port()
    env = dict(os.environ)
    # the server imports litellm: keep it off the network; no background job runner
    env |= {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlflow",
                "server",
                "--backend-store-uri",
                f"sqlite:///{root / 'mlflow.db'}",
                "--default-artifact-root",
                str(root / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and its uvicorn worker
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
