"""Every command ends a failure the same way: ``error: <message>`` on stderr, exit code
2, no traceback, whichever command group raised it (serving/cli/_errors.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from serving import app


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), f"{args}: raised {result.exception!r} instead of exiting"
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # a bad option value a command refuses (UsageError)
        (["train", "--data", "x", "--out", "y", "--mode", "magic"], "--mode 'magic'"),
        (["promote", "--force", "--version", "3"], "--force needs a --reason"),
        # a PromptError from the input readers
        (["route", "--messages", "{missing}"], "cannot read"),
        (["route"], "give a PROMPT argument"),
        (["route", "hi", "--meta", "novalue"], "--meta 'novalue': expected KEY=VALUE"),
        # an error raised in a sub-group's command (keys)
        (["keys", "list", "--file", "{bad_keys}"], "{bad_keys}"),
        # the simulated backends' config
        (["backends", "--config", "{bad_sim}"], "invalid backend config"),
    ],
)
def test_each_command_group_exits_2_with_one_error_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    paths = {
        "missing": str(tmp_path / "missing.json"),
        "bad_keys": str(tmp_path / "keys.yaml"),
        "bad_sim": str(tmp_path / "sim.json"),
    }
    (tmp_path / "keys.yaml").write_text("keys: 3\n", encoding="utf-8")
    (tmp_path / "sim.json").write_text('{"models": []}', encoding="utf-8")
    args = [a.format(**paths) for a in args]
    code, stdout, stderr = _run(*args)
    assert code == 2, (stdout, stderr)
    assert stderr.startswith("error: ") and message.format(**paths) in stderr
    assert "Traceback" not in stderr + stdout


def test_a_policy_error_is_one_error_line_per_problem(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ntiers: []\nbogus: true\n", encoding="utf-8")
    code, _, stderr = _run("policy", "validate", str(policy))
    lines = stderr.splitlines()
    assert code == 2 and len(lines) >= 2
    assert all(line.startswith(f"error: {policy}") for line in lines), lines


def test_a_finding_is_exit_1_not_an_error(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    code, _, _ = _run("policy", "init", "--providers", "openai", "--out", str(policy))
    assert code == 0
    code, _, stderr = _run("policy", "validate", "--strict", str(policy))  # unset keys: warnings
    assert code == 1 and "warning:" in stderr and "error:" not in stderr
