"""``tierroute label``'s option parsing (the command itself: tests/labeling)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policies import LabelingError
from serving.cli._label import parse_weights
from tests.fakes import FakeJudge
from tests.labeling._records import openai_record, write_jsonl


def test_parse_weights() -> None:
    assert parse_weights("outcome=3, length=0.5,") == {"outcome": 3.0, "length": 0.5}
    for bad in ("outcome", "outcome=x", "=2"):
        with pytest.raises(LabelingError, match="--weights"):
            parse_weights(bad)


def test_cli_judge_option_builds_the_judge_lazily(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import serving.cli._label as label_cli
    from serving import app

    built: dict[str, object] = {}

    def fake_make_judge(model: str, tiers: tuple[str, ...], cache_dir: Path, api_base: str | None):
        built.update(model=model, tiers=tiers, api_base=api_base)
        return FakeJudge()

    monkeypatch.setattr(label_cli, "make_judge", fake_make_judge)
    log = write_jsonl(tmp_path / "l.jsonl", [openai_record("hard question")])
    args = ["label", str(log), "--out", str(tmp_path / "o"), "--judge", "openai/gpt-4o"]
    result = CliRunner().invoke(app, [*args, "--judge-api-base", "http://127.0.0.1:9"])
    assert result.exit_code == 0, result.output
    assert built == {
        "model": "openai/gpt-4o",
        "tiers": ("small", "medium", "frontier"),
        "api_base": "http://127.0.0.1:9",
    }
    card = json.loads((tmp_path / "o" / "datacard.json").read_text())
    assert card["judge"]["calls"] == 1
