"""Clients cannot steer the service: parameter allow-list, value checks, authorization
on the deployment actually called."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies import PolicyError, default_policy_path, load_policy
from serving.http._auth import hash_key
from tests.fakes import HELLO, FakeBackends, UpstreamError, make_client, records, reply

SMALL_KEY, ALL_KEY = "tr-small-only-key-0001", "tr-every-tier-key-0002"


def _chat(client: Any, **body: Any) -> Any:
    return client.post("/v1/chat/completions", json={"model": "tierroute/auto", **body})


@pytest.mark.parametrize(
    "name",
    [
        "api_base",
        "base_url",
        "api_key",
        "api_version",
        "custom_llm_provider",
        "mock_response",
        "extra_headers",
        "timeout",
        "fallbacks",
        "num_retries",
        "litellm_logging_obj",
        "aws_region_name",
        "no_such_parameter",
    ],
)
def test_parameters_outside_the_allow_list_are_a_400_naming_them(tmp_path: Path, name: str) -> None:
    client, backends = make_client(tmp_path)
    with client:
        response = _chat(client, messages=HELLO, **{name: "http://attacker.example/v1"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == name
    assert error["message"].startswith(f"Unrecognized request argument supplied: {name}")
    assert backends.calls == []  # nothing was called, with or without the backend's key


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        ('"temperature": NaN', "temperature"),
        ('"temperature": Infinity', "temperature"),
        ('"temperature": 99', "temperature"),
        ('"top_p": 1.5', "top_p"),
        ('"presence_penalty": -3', "presence_penalty"),
        ('"stop": ["a", "b", "c", "d", "e"]', "stop"),
        ('"logit_bias": {"50256": 500}', "logit_bias"),
        ('"top_logprobs": 21', "top_logprobs"),
        ('"max_tokens": 0', "max_tokens"),
        ('"seed": 1e400', "seed"),
        ('"reasoning_effort": "extreme"', "reasoning_effort"),
    ],
)
def test_out_of_range_values_are_refused_before_any_backend_call(
    tmp_path: Path, raw: str, param: str
) -> None:
    client, backends = make_client(tmp_path)
    body = f'{{"model": "tierroute/auto", "messages": {json.dumps(HELLO)}, {raw}}}'
    with client:
        response = client.post("/v1/chat/completions", content=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"].startswith(param)
    assert backends.calls == []


def test_supported_parameters_reach_the_backend_and_consumed_ones_do_not(tmp_path: Path) -> None:
    client, backends = make_client(tmp_path)
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    sent = {"temperature": 0.2, "top_p": 0.9, "seed": 7, "stop": ["\n\n"], "user": "u-1"}
    with client:
        response = _chat(
            client,
            messages=HELLO,
            tools=tools,
            metadata={"team": "a"},
            litellm_session_id="conv-1",
            **sent,
        )
    assert response.status_code == 200, response.text
    params = backends.params[0]
    assert {k: params[k] for k in sent} == sent
    assert params["tools"] == tools
    assert "metadata" not in params and "litellm_session_id" not in params


def _policy_with_extra(tmp_path: Path, extra: list[str]) -> Path:
    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    data["tiers"][0]["deployments"][0]["extra_params"] = extra  # small, speculative
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_policy_may_let_one_deployment_take_extra_parameters(tmp_path: Path) -> None:
    policy = _policy_with_extra(tmp_path, ["top_k"])
    fails_first = FakeBackends({"tierroute:small:0": UpstreamError(500)})
    client, backends = make_client(tmp_path, fails_first, policy=policy)
    with client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": "tierroute/small", "messages": HELLO, "top_k": 40},
        )
        other = client.post(
            "/v1/chat/completions",
            json={"model": "tierroute/frontier", "messages": HELLO, "top_k": 40},
        )
    assert response.status_code == 200, response.text
    assert backends.calls[:2] == ["tierroute:small:0", "tierroute:small:1"]
    assert backends.params[0]["top_k"] == 40  # the deployment that allows it
    assert "top_k" not in backends.params[1]  # its fallback does not
    assert other.status_code == 400  # no frontier deployment takes it
    assert other.json()["error"]["param"] == "top_k"


@pytest.mark.parametrize("name", ["api_base", "extra_headers", "litellm_params", "aws_secret"])
def test_a_policy_cannot_allow_credentials_or_endpoints(tmp_path: Path, name: str) -> None:
    with pytest.raises(PolicyError, match=name):
        load_policy(_policy_with_extra(tmp_path, [name]))


def _keys(tmp_path: Path) -> Path:
    keys = {
        "keys": [
            {"hash": hash_key(SMALL_KEY), "tenant": "a", "tiers": ["small"]},
            {"hash": hash_key(ALL_KEY), "tenant": "b"},
        ]
    }
    path = tmp_path / "keys.yaml"
    path.write_text(yaml.safe_dump(keys), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("model", "status"),
    [
        ("gpt-4-1106-preview", 403),  # frontier's deployment by its name
        ("openai/mixtral-8x7b-chat", 403),  # medium's
        ("openai/some-model-outside-the-policy", 403),  # pass-through
        ("mistral-7b-chat", 200),  # small's: allowed
    ],
)
def test_tier_limits_apply_to_the_deployment_a_model_name_resolves_to(
    tmp_path: Path, model: str, status: int
) -> None:
    client, backends = make_client(tmp_path, api_keys_file=_keys(tmp_path))
    auth = {"Authorization": f"Bearer {SMALL_KEY}"}
    with client:
        response = client.post(
            "/v1/chat/completions", json={"model": model, "messages": HELLO}, headers=auth
        )
        everything = client.post(
            "/v1/chat/completions",
            json={"model": model, "messages": HELLO},
            headers={"Authorization": f"Bearer {ALL_KEY}"},
        )
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"]["code"] == "tier_not_allowed"
        assert len(backends.calls) == 1  # only the unrestricted key's request was served
    assert everything.status_code == 200


def test_a_small_only_key_never_escalates_or_falls_back_out_of_its_tiers(tmp_path: Path) -> None:
    refusal = reply("I'm sorry, but I can't help with that.")
    broken = {"tierroute:small:0": UpstreamError(500), "tierroute:small:1": refusal}
    client, backends = make_client(tmp_path, FakeBackends(broken), api_keys_file=_keys(tmp_path))
    hard = [{"role": "user", "content": "Prove that there are infinitely many primes."}]
    with client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": "tierroute/auto", "messages": hard},
            headers={"Authorization": f"Bearer {SMALL_KEY}"},
        )
    assert response.status_code == 200  # the best answer its tiers could give
    assert response.headers["x-tierroute-tier"] == "small"
    assert all(call.startswith("tierroute:small:") for call in backends.calls)
    assert {a.tier for r in records(tmp_path) for a in r.attempts} == {"small"}
