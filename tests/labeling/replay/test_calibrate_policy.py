"""calibrate --write-policy keeps the comments and writes a valid policy; drift reads it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from labeling.replay._policy_write import write_calibrated_policy
from policies import PolicyError, default_policy_path, load_policy
from router import DecisionRecord
from serving import app

SECTION = {
    "target": "frontier-share=0.3",
    "tier_share": {"small": 0.5, "medium": 0.2, "frontier": 0.3},
    "interval": {"small": [0.48, 0.52], "medium": [0.18, 0.22], "frontier": [0.28, 0.32]},
    "confidence": 0.95,
    "fitted_on": "4000 requests from fit.csv; stub-1",
    "n_requests": 4000,
    "date": "2025-01-01",
}


def test_written_policy_keeps_comments_and_validates(tmp_path: Path) -> None:
    source = default_policy_path()
    out = tmp_path / "calibrated.yaml"
    policy = write_calibrated_policy(source, out, {"medium": 0.2, "frontier": 0.4123}, SECTION)
    original = source.read_text(encoding="utf-8").splitlines()
    written = out.read_text(encoding="utf-8")
    comments = [line.strip() for line in original if line.strip().startswith("#")]
    assert all(c in written for c in comments)
    assert "# vLLM with a draft model" in written  # a comment after a value
    reloaded = load_policy(out)
    assert reloaded == policy
    assert reloaded.classifier.thresholds == {"medium": 0.2, "frontier": 0.4123}
    assert reloaded.calibration is not None
    assert reloaded.calibration.interval["frontier"] == (0.28, 0.32)
    # everything else routes as before; the calibration record is not in the fingerprint
    assert reloaded.overrides == load_policy(source).overrides
    # calibrating the calibrated copy replaces the section instead of adding one
    again = tmp_path / "again.yaml"
    write_calibrated_policy(out, again, {"medium": 0.3, "frontier": 0.5}, SECTION)
    assert again.read_text(encoding="utf-8").count("calibration:") == 1
    assert load_policy(again).classifier.thresholds == {"medium": 0.3, "frontier": 0.5}


def test_flow_style_thresholds_are_rewritten_in_place(tmp_path: Path) -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    block = "  thresholds:\n    medium: 0.52\n    frontier: 0.55\n"
    assert block in text
    source = tmp_path / "flow.yaml"
    source.write_text(text.replace(block, "  thresholds: {medium: 0.35, frontier: 0.6}  # flow\n"))
    out = tmp_path / "out.yaml"
    write_calibrated_policy(source, out, {"medium": 0.1, "frontier": 0.7}, SECTION)
    assert "  thresholds: {medium: 0.1, frontier: 0.7}  # flow" in out.read_text()


def test_unordered_thresholds_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as error:
        write_calibrated_policy(
            default_policy_path(), tmp_path / "x.yaml", {"medium": 0.9, "frontier": 0.1}, SECTION
        )
    assert "increase with tier order" in str(error.value)
    assert not (tmp_path / "x.yaml").exists()


def _decision_log(path: Path, policy_version: str, frontier_share: float, n: int) -> Path:
    rng = np.random.default_rng(7)
    tiers = rng.choice(
        ["small", "medium", "frontier"], size=n, p=[0.7 - frontier_share, 0.3, frontier_share]
    )
    with path.open("w", encoding="utf-8") as handle:
        for i, tier in enumerate(tiers):
            record = DecisionRecord(
                request_id=f"r{i}",
                timestamp=f"2025-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
                prompt_sha256="0" * 64,
                decision={"tier": str(tier), "policy_version": policy_version, "reasons": []},
                attempts=(),
                status="ok",
            )
            handle.write(record.to_json() + "\n")
    return path


def test_drift_fires_on_a_shifted_log_and_stays_quiet_otherwise(tmp_path: Path) -> None:
    policy_path = tmp_path / "calibrated.yaml"
    section = dict(SECTION, tier_share={"small": 0.4, "medium": 0.3, "frontier": 0.3})
    section["interval"] = {"small": [0.38, 0.42], "medium": [0.28, 0.32], "frontier": [0.28, 0.32]}
    policy = write_calibrated_policy(
        default_policy_path(), policy_path, {"medium": 0.35, "frontier": 0.6}, section
    )
    runner = CliRunner()
    steady = _decision_log(tmp_path / "steady.jsonl", policy.version_string, 0.3, 2000)
    shifted = _decision_log(tmp_path / "shifted.jsonl", policy.version_string, 0.45, 2000)
    args = ["--policy", str(policy_path), "--window", "500", "--json"]
    quiet = runner.invoke(app, ["drift", str(steady), *args])
    assert quiet.exit_code == 0, quiet.output
    windows = json.loads(quiet.output)["windows"]
    assert len(windows) == 4 and not any(w["drifted"] for w in windows)
    fired = runner.invoke(app, ["drift", str(shifted), *args])
    assert fired.exit_code == 1, fired.output
    assert "frontier" in json.loads(fired.output)["windows"][-1]["drifted"]
    # decisions of another policy are not counted unless asked
    other = _decision_log(tmp_path / "other.jsonl", "default@1#other", 0.45, 600)
    refused = runner.invoke(app, ["drift", str(other), "--policy", str(policy_path)])
    assert refused.exit_code == 2 and "--any-policy" in refused.output
