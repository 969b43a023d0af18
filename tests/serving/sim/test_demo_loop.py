"""`tierroute demo-loop`: backends + service as processes, prompts through openai, one log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies import default_policy
from router import Router
from serving.sim._demo_loop import run_demo_loop

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SQL = "SELECT name FROM users WHERE id = 3; why is this slow?"


def _prompts() -> list[str]:
    root = Path(__file__).resolve().parents[3]
    lines = (root / "examples/prompts.jsonl").read_text(encoding="utf-8").splitlines()
    router = Router()
    for line in lines:
        prompt = json.loads(line)["prompt"]
        if any("try-cheaper" in reason for reason in router.route(prompt).reasons):
            return [SQL, "What is the capital of France?", prompt]
    pytest.skip("no example prompt takes the try-cheaper-first path with this classifier")


def test_loop_rows_match_the_decision_log(tmp_path: Path) -> None:
    prompts = _prompts()
    result = run_demo_loop(prompts, tmp_path, latency_scale=0.0)

    assert [row.prompt for row in result.rows] == prompts
    assert result.log_records == len(prompts) == len(result.rows)
    assert len({row.request_id for row in result.rows}) == len(prompts)
    sql = result.rows[0]
    assert not sql.speculative and sql.escalations == 0
    # the small tier's injected refusal escalates exactly one try-cheaper-first request
    escalated = [row for row in result.rows if row.escalations]
    assert len(escalated) == 1
    assert escalated[0].decided_tier == default_policy().tiers[0].name != escalated[0].tier
    assert escalated[0].attempts >= 2
    assert 0 < result.cost_usd < result.frontier_cost_usd
