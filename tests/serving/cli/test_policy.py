"""``tierroute policy init`` and the warnings of ``tierroute policy validate``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policies import load_policy
from serving import app
from serving.cli._policy import PROVIDERS

GOOD_DEPLOYMENT = """      - model: {model}
        api_key_env: {env}
        input_cost_per_mtok: {cost}
        output_cost_per_mtok: {cost}
        ttft_ms: 100
        tpot_ms: 10
        context_window: {context}
"""


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("providers", ["openai,anthropic,vllm", "openai", "anthropic", "vllm"])
def test_init_writes_a_commented_policy_that_validates(tmp_path: Path, providers: str) -> None:
    out = tmp_path / "policy.yaml"
    code, stdout, stderr = cli("policy", "init", "--providers", providers, "--out", str(out))
    assert code == 0, stderr
    text = out.read_text()
    assert text.startswith("# tierroute starter policy") and "never the key itself" in text
    policy = load_policy(out)
    models = {d.model for t in policy.tiers for d in t.deployments}
    assert models == {row[1] for p in providers.split(",") for row in PROVIDERS[p]}
    code, stdout, _ = cli("policy", "validate", str(out))
    assert code == 0 and "valid policy" in stdout
    again = cli("policy", "init", "--providers", providers, "--out", str(out))
    assert again[0] == 2 and "exists" in again[2]


def test_init_refuses_unknown_providers(tmp_path: Path) -> None:
    code, _, err = cli(
        "policy", "init", "--providers", "openai,bogus", "--out", str(tmp_path / "p")
    )
    assert code == 2 and "bogus" in err


def test_the_starter_policy_has_no_warnings_once_keys_are_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "VLLM_API_KEY"):
        monkeypatch.setenv(var, "set")
    out = tmp_path / "policy.yaml"
    cli("policy", "init", "--providers", "openai,anthropic,vllm", "--out", str(out))
    code, stdout, stderr = cli("policy", "validate", "--strict", str(out))
    assert code == 0, stderr
    assert "0 warnings" in stdout


def _policy(deployments: list[str], rule: str = "") -> str:
    tiers = ""
    for i, name in enumerate(("small", "medium", "frontier")):
        tiers += f"  - name: {name}\n    deployments:\n{deployments[i]}"
    return (
        "name: lint\nversion: '1'\ntiers:\n" + tiers + "classifier:\n  thresholds:\n"
        "    medium: 0.5\n    frontier: 0.6\n" + rule
    )


def test_validate_warns_about_each_problem_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "set")
    monkeypatch.delenv("TIERROUTE_TEST_UNSET", raising=False)
    pasted = "sk-proj-" + "a" * 40
    deployments = [
        GOOD_DEPLOYMENT.format(model="openai/gpt-4o", env=pasted, cost=1, context=8000),
        GOOD_DEPLOYMENT.format(model="openai/gpt-4o-mini", env="OPENAI_API_KEY", cost=0.1,
                               context=8000),
        GOOD_DEPLOYMENT.format(model="openai/gpt-44o", env="TIERROUTE_TEST_UNSET", cost=5,
                               context=8000),
    ]  # fmt: skip
    rule = (
        "overrides:\n  - name: long\n    match: {detector: long_context, min_tokens: 20000}\n"
        "    actions: {force_tier: frontier}\n"
    )
    path = tmp_path / "lint.yaml"
    path.write_text(_policy(deployments, rule), encoding="utf-8")
    lines = path.read_text().splitlines()
    code, stdout, stderr = cli("policy", "validate", str(path))
    assert code == 0 and "4 warnings" not in stdout
    warnings = [w for w in stderr.splitlines() if w.startswith("warning:")]

    def line_of(fragment: str) -> int:
        return next(i for i, text in enumerate(lines, 1) if fragment in text)

    def warned(field: str, fragment: str, line: int) -> None:
        hits = [w for w in warnings if f"{path}:{line}: {field}:" in w and fragment in w]
        assert hits, f"no warning for {field} at line {line}: {warnings}"

    warned("tiers.0.deployments.0.api_key_env", "looks like an API key", line_of("sk-proj-"))
    assert pasted not in stderr  # the pasted key is not echoed back
    warned("tiers.1", "cheaper than 'small'", line_of("- name: medium"))
    warned("tiers.2.deployments.0.model", "does not know 'openai/gpt-44o'", line_of("gpt-44o"))
    warned("tiers.2.deployments.0.api_key_env", "TIERROUTE_TEST_UNSET is not set",
           line_of("TIERROUTE_TEST_UNSET"))  # fmt: skip
    warned("overrides.0.actions.force_tier", "widest context window is 8000",
           line_of("force_tier"))  # fmt: skip
    assert re.search(r"(\d+) warnings", stdout).group(1) == str(len(warnings))  # type: ignore[union-attr]
    assert cli("policy", "validate", "--strict", str(path))[0] == 1


def test_an_unknown_provider_is_a_warning(tmp_path: Path) -> None:
    deployments = [
        GOOD_DEPLOYMENT.format(model=m, env="X", cost=c, context=8000).replace(
            "        api_key_env: X\n", "        api_base: http://127.0.0.1:1/v1\n"
        )
        for m, c in (("mistral-7b", 0.1), ("openai/b", 0.2), ("openai/c", 0.3))
    ]
    path = tmp_path / "p.yaml"
    path.write_text(_policy(deployments), encoding="utf-8")
    _, stdout, stderr = cli("policy", "validate", str(path))
    assert "does not know the provider of 'mistral-7b'" in stderr
    assert "1 warnings" in stdout  # openai-compatible servers may serve any model name


def test_serve_needs_a_tracking_uri_for_registry_models_and_writes_nothing_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from policies import TierrouteError
    from serving.cli._serve import serve

    monkeypatch.chdir(tmp_path)
    for var in ("MLFLOW_TRACKING_URI", "TIERROUTE_MLFLOW_URI", "TIERROUTE_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(TierrouteError, match="--tracking-uri"):
        serve({"model": "models:/router@prod", "decision_log": ""})
    store = tmp_path / "elsewhere" / "mlflow.db"
    store.parent.mkdir()
    with pytest.raises(TierrouteError, match="router"):  # the registry it was pointed at
        serve(
            {
                "model": "models:/router@prod",
                "decision_log": "",
                "tracking_uri": f"sqlite:///{store}",
            }
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere"]
