"""API keys: hashed config, tenant lookup, OpenAI-style 401/403 over HTTP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from policies import TierrouteError
from serving.http._auth import (
    ANONYMOUS,
    ApiKeyEntry,
    Authenticator,
    AuthError,
    KeyStore,
    Principal,
    generate_key,
    hash_key,
)

ACME_KEY = "tr-acme-secret-key-0001"
BETA_KEY = "tr-beta-secret-key-0002"


def _store() -> KeyStore:
    return KeyStore(
        [
            ApiKeyEntry(hash=hash_key(ACME_KEY), tenant="acme"),
            ApiKeyEntry(hash=hash_key(BETA_KEY), tenant="beta", id="beta-1", tiers=("small",)),
        ]
    )


class _Client:
    """Calls the app in-process over httpx's ASGI transport."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.post(url, **kwargs)

        return asyncio.run(call())


def _app(store: KeyStore) -> _Client:
    app = FastAPI()
    authenticator = Authenticator(store)

    @app.exception_handler(AuthError)
    async def _handle(request: Request, exc: AuthError) -> JSONResponse:
        return JSONResponse(exc.to_openai(), status_code=exc.status_code, headers=exc.headers)

    @app.post("/v1/chat/completions")
    def chat(
        body: dict[str, str],
        principal: Principal = Depends(authenticator),  # noqa: B008 (local: Annotated cannot see it)
    ) -> dict[str, object]:
        principal.require_tier(body.get("tier", "small"))
        return {"tenant": principal.tenant, "key_id": principal.key_id}

    return _Client(app)


def test_valid_keys_map_to_their_tenant() -> None:
    client = _app(_store())
    reply = client.post(
        "/v1/chat/completions", json={}, headers={"Authorization": f"Bearer {ACME_KEY}"}
    )
    assert reply.status_code == 200
    assert reply.json() == {"tenant": "acme", "key_id": hash_key(ACME_KEY)[7:19]}
    reply = client.post("/v1/chat/completions", json={}, headers={"x-api-key": BETA_KEY})
    assert reply.json() == {"tenant": "beta", "key_id": "beta-1"}


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "missing API key"),
        ({"Authorization": "Bearer tr-wrong-key-123456"}, "incorrect API key provided: tr-w...56"),
        ({"Authorization": "Basic abc"}, "malformed Authorization header"),
        ({"Authorization": f"Bearer {ACME_KEY}x"}, "incorrect API key"),
    ],
)
def test_bad_keys_get_openai_style_401(headers: dict[str, str], fragment: str) -> None:
    reply = _app(_store()).post("/v1/chat/completions", json={}, headers=headers)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"
    error = reply.json()["error"]
    assert fragment in error["message"]
    assert error["type"] == "invalid_request_error" and error["code"] == "invalid_api_key"
    assert "param" in error
    assert ACME_KEY not in reply.text


def test_key_limited_to_a_tier_gets_403_for_another() -> None:
    client = _app(_store())
    headers = {"Authorization": f"Bearer {BETA_KEY}"}
    assert client.post("/v1/chat/completions", json={"tier": "small"}, headers=headers).is_success
    reply = client.post("/v1/chat/completions", json={"tier": "frontier"}, headers=headers)
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "tier_not_allowed"


def test_no_keys_means_auth_is_off() -> None:
    reply = _app(KeyStore()).post("/v1/chat/completions", json={})
    assert reply.status_code == 200 and reply.json() == {"tenant": None, "key_id": None}
    assert KeyStore().authenticate("anything") is ANONYMOUS


def test_model_allowlist() -> None:
    principal = Principal("acme", "k", models=("tierroute/auto",))
    principal.require_model("tierroute/auto")
    with pytest.raises(AuthError) as info:
        principal.require_model("gpt-4o")
    assert info.value.status_code == 403 and "gpt-4o" in info.value.message


def test_key_file_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "keys.yaml"
    yaml_file.write_text(
        f"keys:\n  - hash: '{hash_key(ACME_KEY)}'\n    tenant: acme\n    models: [tierroute/auto]\n"
    )
    json_file = tmp_path / "keys.json"
    json_file.write_text(json.dumps({"keys": [{"hash": hash_key(BETA_KEY), "tenant": "beta"}]}))
    assert KeyStore.load(yaml_file).authenticate(ACME_KEY).models == ("tierroute/auto",)
    assert KeyStore.load(json_file).authenticate(BETA_KEY).tenant == "beta"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            f"keys:\n  - hash: '{ACME_KEY}'\n    tenant: acme\n",
            "keys.0.hash: Value error, expected 'sha256:'",
        ),
        (f"keys:\n  - hash: '{hash_key(ACME_KEY)}'\n", "keys.0.tenant: Field required"),
        (f"keys:\n  - hash: '{hash_key(ACME_KEY)}'\n    tenant: a\n    tenat: b\n", "keys.0.tenat"),
        (
            f"keys:\n  - {{hash: '{hash_key(ACME_KEY)}', tenant: a}}\n"
            f"  - {{hash: '{hash_key(ACME_KEY)}', tenant: b}}\n",
            "keys[1].hash: same key as keys[0]",
        ),
        ("keys: [\n", "cannot read API keys"),
    ],
)
def test_bad_key_files_name_the_problem(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(text)
    with pytest.raises(TierrouteError) as info:
        KeyStore.load(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_spec_string_for_env_vars() -> None:
    store = KeyStore.parse_spec(f"{hash_key(ACME_KEY)}=acme, {hash_key(BETA_KEY)}=beta")
    assert store.authenticate(BETA_KEY).tenant == "beta"
    with pytest.raises(TierrouteError, match="entry 2"):
        KeyStore.parse_spec(f"{hash_key(ACME_KEY)}=acme,{BETA_KEY}=beta")


def test_generated_keys_are_unique_and_hash_stably() -> None:
    first, second = generate_key(), generate_key()
    assert first != second and first.startswith("tr-") and len(first) > 40
    assert hash_key(first) == hash_key(first) != hash_key(second)
    assert hash_key("test") == (
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    )
