"""``tierroute serve`` as a user starts it: where it writes, when it says it is serving,
and what a taken port looks like."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from serving._settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def _serve(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(ROOT)}
    env.pop("TIERROUTE_DATA_DIR", None)
    env.pop("TIERROUTE_DECISION_LOG", None)
    return subprocess.Popen(
        [sys.executable, "-c", "from serving import main; main()", "serve", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_default_decision_log_lives_under_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TIERROUTE_DECISION_LOG", raising=False)
    monkeypatch.delenv("TIERROUTE_DATA_DIR", raising=False)
    assert Settings().decision_log == Path(".tierroute/decisions/decisions.jsonl")
    monkeypatch.setenv("TIERROUTE_DATA_DIR", str(tmp_path))
    assert Settings().decision_log == tmp_path / "decisions" / "decisions.jsonl"
    assert Settings(decision_log="").decision_log is None  # '' still means off
    assert Settings(decision_log="mine.jsonl").decision_log == Path("mine.jsonl")


@pytest.mark.integration
def test_banner_comes_once_the_port_answers_and_logs_stay_in_the_data_dir(
    tmp_path: Path,
) -> None:
    proc = _serve(tmp_path, "--port", "0", "--model", "tfidf")
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()
        match = re.search(r"serving on (http://127\.0\.0\.1:(\d+))", banner)
        assert match, f"no banner: {banner!r}"
        assert int(match.group(2)) > 0  # the real port, not the 0 we asked for
        # the banner is a promise: the service answers right away
        assert httpx.get(f"{match.group(1)}/healthz", timeout=5).status_code == 200
        reply = httpx.post(f"{match.group(1)}/v1/route", json={"prompt": "hi"}, timeout=5)
        assert reply.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not (tmp_path / "tierroute-logs").exists()
    log = tmp_path / ".tierroute" / "decisions"
    assert log.is_dir(), sorted(p.name for p in tmp_path.iterdir())


@pytest.mark.integration
def test_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _serve(tmp_path, "--port", str(port), "--model", "tfidf", "--decision-log", "")
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert err.strip() == f"error: cannot listen on 127.0.0.1:{port}: address already in use"
