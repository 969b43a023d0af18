"""``tierroute keys create|list|revoke`` and a service that follows the key file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from serving import app
from serving._settings import Settings
from serving.http._app import create_app
from serving.http._auth import hash_key
from serving.http._keys import read_key_file
from tests.fakes import FakeBackends

HELLO = [{"role": "user", "content": "Say hello in French"}]


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_create_prints_the_key_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    file = tmp_path / "keys.yaml"
    code, out, err = cli(
        "keys", "create", "--file", str(file), "--tenant", "acme", "--tiers", "small,medium",
        "--budget-usd", "20", "--per", "day", "--rpm", "60", "--tpm", "10000",
    )  # fmt: skip
    assert code == 0, err
    key = out.strip()
    assert key.startswith("tr-") and len(key) > 40
    text = file.read_text()
    assert key not in text and hash_key(key) in text
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    [entry] = read_key_file(file)
    assert (entry.tenant, entry.tiers, entry.budget_usd, entry.budget_period) == (
        "acme", ("small", "medium"), 20.0, "day",
    )  # fmt: skip
    assert (entry.rpm, entry.tpm) == (60, 10000)
    assert "shown only now" in err

    code, out, _ = cli("keys", "list", "--file", str(file), "--json")
    row = json.loads(out)
    assert row["id"] == entry.key_id and row["tenant"] == "acme" and "hash" not in row
    assert key not in out


def test_bad_flags_are_refused_with_the_flag_named(tmp_path: Path) -> None:
    file = tmp_path / "keys.yaml"
    code, _, err = cli("keys", "create", "--file", str(file), "--tenant", "a", "--per", "day")
    assert code == 2 and "--per needs --budget-usd" in err
    code, _, err = cli("keys", "create", "--file", str(file), "--tenant", "a", "--rpm", "0")
    assert code == 2 and "--rpm" in err
    code, _, err = cli(
        "keys", "create", "--file", str(file), "--tenant", "a", "--budget-usd", "5", "--per", "week"
    )
    assert code == 2 and "--per" in err
    assert not file.exists()
    code, _, err = cli("keys", "revoke", "--file", str(file), "nope")
    assert code == 2 and "no key with id 'nope'" in err


def test_a_running_service_follows_created_and_revoked_keys(tmp_path: Path) -> None:
    file = tmp_path / "keys.yaml"
    first = cli("keys", "create", "--file", str(file), "--tenant", "acme")[1].strip()
    settings = Settings(decision_log="", policy_poll_s=None, api_keys_file=file)
    body = {"model": "auto", "messages": HELLO}
    with TestClient(create_app(settings, completion=FakeBackends({}))) as client:
        client.app.state.runtime.authenticator._store.check_every_s = 0  # type: ignore[attr-defined]

        def status(key: str) -> int:
            headers = {"authorization": f"Bearer {key}"}
            return client.post("/v1/chat/completions", json=body, headers=headers).status_code

        assert status(first) == 200
        second = cli("keys", "create", "--file", str(file), "--tenant", "beta")[1].strip()
        assert status(second) == 200  # no restart needed
        [entry] = [e for e in read_key_file(file) if e.tenant == "acme"]
        code, out, _ = cli("keys", "revoke", "--file", str(file), entry.key_id)
        assert code == 0 and entry.key_id in out
        assert status(first) == 401
        assert status(second) == 200
