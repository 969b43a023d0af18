"""Policy hot reload: a valid change swaps, an invalid one keeps the last good policy."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import pytest

from policies import PolicyError, default_policy_path
from router import Router
from serving.http._reload import PolicyReloader
from tests.fakes import FixedScorer, await_until


def _policy_text(version: str) -> str:
    text = default_policy_path().read_text(encoding="utf-8")
    return text.replace('version: "1"', f'version: "{version}"', 1)


def _policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(_policy_text("1"), encoding="utf-8")
    return path


def _rewrite(path: Path, text: str) -> None:
    """Change the file so its mtime/size surely differ from the last load."""
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def test_valid_change_swaps_policy_and_router(tmp_path: Path) -> None:
    path = _policy_file(tmp_path)
    seen: list[bool] = []
    reloader = PolicyReloader(path, scorer=FixedScorer(), on_reload=seen.append)
    before = reloader.state
    assert before.version.startswith("default@1#")
    assert reloader.router.route("hello").policy_version == before.version
    assert not reloader.check()  # nothing changed
    _rewrite(path, _policy_text("2"))
    assert reloader.changed()
    assert reloader.check()
    after = reloader.state
    assert after.version.startswith("default@2#") and after.router is not before.router
    assert reloader.router.route("hello").policy_version == after.version
    assert after.router.scorer is before.router.scorer  # the scorer is loaded once
    assert seen == [True] and reloader.status()["last_reload_error"] is None


def test_invalid_policy_keeps_the_old_one(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _policy_file(tmp_path)
    seen: list[bool] = []
    reloader = PolicyReloader(path, scorer=FixedScorer(), on_reload=seen.append)
    good = reloader.state
    _rewrite(
        path, path.read_text().replace("input_cost_per_mtok: 0.20", "input_cost_per_mtok: -1", 1)
    )
    with caplog.at_level(logging.ERROR, logger="tierroute.reload"):
        assert not reloader.check()
    assert reloader.state is good
    assert reloader.router.route("hello").policy_version == good.version
    error = reloader.status()["last_reload_error"]
    assert error is not None and error["source"] == str(path)
    assert any(f"{path}:" in p and "input_cost_per_mtok" in p for p in error["problems"])
    assert "input_cost_per_mtok" in caplog.text and good.version in caplog.text
    assert seen == [False] and reloader.status()["reload_failures"] == 1
    assert not reloader.check()  # the same broken file is not retried on every poll

    _rewrite(path, "tiers: [\n")  # broken YAML
    assert not reloader.check() and reloader.state is good
    assert "YAML syntax error" in reloader.status()["last_reload_error"]["message"]

    _rewrite(path, _policy_text("3"))  # fixed: served again
    assert reloader.check() and reloader.version.startswith("default@3#")
    assert reloader.status()["last_reload_error"] is None


def test_router_build_failure_is_rejected_too(tmp_path: Path) -> None:
    path = _policy_file(tmp_path)
    reloader = PolicyReloader(path, scorer=FixedScorer())
    good = reloader.state

    def refuse(policy: object) -> Router:
        raise PolicyError([])

    reloader._build = refuse
    _rewrite(path, _policy_text("4"))
    assert not reloader.reload() and reloader.state is good
    assert reloader.last_error is not None


def test_first_load_must_succeed(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(PolicyError, match="cannot read"):
        PolicyReloader(path, scorer=FixedScorer())


def test_no_path_serves_the_default_policy() -> None:
    reloader = PolicyReloader(None, scorer=FixedScorer())
    assert reloader.version.startswith("default@")
    assert reloader.status()["policy_source"] == "<default policy>"
    assert not reloader.changed()


async def _wait_for(reloader: PolicyReloader, prefix: str) -> None:
    serving = lambda: reloader.version.startswith(prefix)  # noqa: E731
    await await_until(serving, f"policy {prefix}* (still serving {reloader.version})", timeout_s=4)


def test_polling_picks_up_a_change(tmp_path: Path) -> None:
    path = _policy_file(tmp_path)

    async def scenario() -> None:
        reloader = PolicyReloader(path, scorer=FixedScorer(), poll_interval_s=0.02)
        await reloader.start()
        try:
            _rewrite(path, _policy_text("5"))
            await _wait_for(reloader, "default@5#")
        finally:
            await reloader.stop()

    asyncio.run(scenario())


def test_sighup_reloads(tmp_path: Path) -> None:
    path = _policy_file(tmp_path)

    async def scenario() -> None:
        reloader = PolicyReloader(path, scorer=FixedScorer(), poll_interval_s=None)
        await reloader.start()
        try:
            assert reloader.sighup_installed
            # same mtime on purpose: only the signal can trigger this reload
            stat = path.stat()
            path.write_text(_policy_text("6"))
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            os.kill(os.getpid(), signal.SIGHUP)
            await _wait_for(reloader, "default@6#")
        finally:
            await reloader.stop()
        assert not reloader.sighup_installed

    asyncio.run(scenario())


def test_a_good_policy_back_in_place_clears_the_reload_error(tmp_path: Path) -> None:
    path = _policy_file(tmp_path)
    reloader = PolicyReloader(path, scorer=FixedScorer())
    _rewrite(path, "name: broken\ntiers: []\n")
    assert not reloader.check()
    assert reloader.status()["last_reload_error"] is not None
    _rewrite(path, _policy_text("1"))  # the very policy that is serving
    reloader.check()
    assert reloader.status()["last_reload_error"] is None
    assert reloader.status()["reload_failures"] == 1  # the count stays
