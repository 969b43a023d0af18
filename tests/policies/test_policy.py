from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from policies import (
    Policy,
    PolicyError,
    default_policy,
    default_policy_path,
    load_policy,
    parse_policy,
)

DEFAULT_TEXT = default_policy_path().read_text()


def _problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, source="p.yaml")
    return [str(p) for p in info.value.problems]


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def test_default_policy_is_valid_and_has_the_sql_rule() -> None:
    policy = default_policy()
    assert policy.tier_names == ("small", "medium", "frontier")
    sql = next(rule for rule in policy.overrides if rule.match.detector == "sql")
    assert sql.actions.speculation is False
    assert sql.actions.cascade is False


def test_policy_is_frozen() -> None:
    policy = default_policy()
    with pytest.raises(Exception, match="frozen"):
        policy.name = "other"  # type: ignore[misc]


def test_negative_price_names_field_and_line() -> None:
    text = DEFAULT_TEXT.replace("input_cost_per_mtok: 0.60", "input_cost_per_mtok: -1", 1)
    (problem,) = _problems(text)
    line = _line_of(text, "input_cost_per_mtok: -1")
    assert problem.startswith(f"p.yaml:{line}: tiers.1.deployments.0.input_cost_per_mtok:")
    assert "greater than or equal to 0" in problem


def test_unknown_key_is_rejected_at_its_line() -> None:
    text = DEFAULT_TEXT.replace("  max_escalations: 2", "  max_escalations: 2\n  max_escalation: 3")
    (problem,) = _problems(text)
    assert problem.startswith(f"p.yaml:{_line_of(text, 'max_escalation: 3')}: ")
    assert "cascade.max_escalation" in problem and "Extra inputs are not permitted" in problem


def test_empty_matcher_is_rejected() -> None:
    text = DEFAULT_TEXT.replace("match: {detector: pii}", "match: {}")
    (problem,) = _problems(text)
    assert problem.startswith(f"p.yaml:{_line_of(text, 'match: {}')}: overrides.2.match:")
    assert "empty matcher" in problem


def test_unknown_tier_in_action_is_rejected() -> None:
    text = DEFAULT_TEXT.replace("{force_tier: frontier}", "{force_tier: fronteir}")
    (problem,) = _problems(text)
    line = _line_of(text, "fronteir")
    assert problem.startswith(f"p.yaml:{line}: overrides.1.actions.force_tier: unknown tier")


def test_duplicate_tier_is_rejected() -> None:
    text = DEFAULT_TEXT.replace("  - name: medium", "  - name: small")
    problems = _problems(text)
    line = _line_of(text, "  - name: small", occurrence=2)
    assert any(p.startswith(f"p.yaml:{line}: tiers.1.name: duplicate tier") for p in problems)


def test_tier_without_deployments_is_rejected() -> None:
    data = yaml.safe_load(DEFAULT_TEXT)
    data["tiers"][1]["deployments"] = []
    text = yaml.safe_dump(data, sort_keys=False)
    problems = _problems(text)
    assert any("tiers.1.deployments: Value error, a tier needs at least one" in p for p in problems)


def test_duplicate_yaml_key_is_rejected() -> None:
    text = DEFAULT_TEXT.replace('version: "1"', 'version: "1"\nversion: "2"')
    problems = _problems(text)
    line = _line_of(text, 'version: "2"')
    assert f"p.yaml:{line}: version: duplicate key" in problems


def test_thresholds_must_increase() -> None:
    text = DEFAULT_TEXT.replace("frontier: 0.55", "frontier: 0.20")
    (problem,) = _problems(text)
    assert "classifier.thresholds: must increase with tier order" in problem


def test_yaml_syntax_error_has_a_line() -> None:
    text = DEFAULT_TEXT.replace("  enabled: true", "  enabled: [true")
    (problem,) = _problems(text)
    assert problem.startswith("p.yaml:") and "YAML syntax error" in problem


def test_invalid_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"name: x\nversion: '1'\ntiers: \xff\xfe\n")
    with pytest.raises(PolicyError, match=r"bad.yaml:3: <root>: invalid UTF-8"):
        load_policy(path)


def test_rules_can_only_switch_speculation_off() -> None:
    text = DEFAULT_TEXT.replace("{speculation: false, cascade: false}", "{speculation: true}")
    (problem,) = _problems(text)
    assert "overrides.0.actions.speculation" in problem


def test_constructing_in_code_runs_cross_checks() -> None:
    data = yaml.safe_load(DEFAULT_TEXT)
    data["overrides"][0]["actions"] = {"min_tier": "huge"}
    with pytest.raises(ValueError, match=r"overrides.0.actions.min_tier: unknown tier 'huge'"):
        Policy.model_validate(data)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from serving import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_validate_ok() -> None:
    result = _cli("policy", "validate", str(default_policy_path()))
    assert result.returncode == 0, result.stderr
    assert "valid policy default@1#" in result.stdout
    assert result.stdout.count("\n") == 1


def test_cli_validate_reports_every_problem(tmp_path: Path) -> None:
    text = DEFAULT_TEXT.replace("output_cost_per_mtok: 30.0", "output_cost_per_mtok: -3").replace(
        "  quality_weight: 0.7", "  quality_weight: 0.7\n  qualty: 1"
    )
    path = tmp_path / "typo.yaml"
    path.write_text(text)
    result = _cli("policy", "validate", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("error: ") for line in lines)  # the CLI's one error format
    lines = [line.removeprefix("error: ") for line in lines]
    assert lines[0].startswith(f"{path}:{_line_of(text, 'output_cost_per_mtok: -3')}: tiers.2.")
    assert lines[1].startswith(f"{path}:{_line_of(text, 'qualty')}: objective.qualty:")
    assert "Traceback" not in result.stderr
