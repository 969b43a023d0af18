"""Simulated backend answers and config, without sockets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest
from typer.testing import CliRunner

from classifier import RouterBenchRow
from serving import (
    BackendConfig,
    SimModel,
    app,
    default_backend_config,
    replay_table_from_routerbench,
)
from serving.sim._answers import answer_for, judge_answer, prompt_sha256, tool_call_for


def test_replay_and_judge_are_deterministic() -> None:
    config = default_backend_config()
    small = config.model("openai/mistral-7b-chat-spec")
    assert small is not None
    replay = {prompt_sha256("What is 2+2?"): {"mistral-7b-chat": "4"}}
    assert answer_for(small, "What is 2+2?", replay) == "4"  # -spec replays the base model
    rubric = "Model tiers, cheapest first: small, medium, frontier.\n<prompt>\n{}\n</prompt>"
    easy = json.loads(judge_answer(rubric.format("Say hi")))
    hard = json.loads(judge_answer(rubric.format("Write a Python function; prove the equation")))
    assert easy["tier"] == "small"
    assert hard["tier"] != "small"
    assert 0 <= hard["confidence"] <= 1


def test_routerbench_rows_become_a_replay_table() -> None:
    row = RouterBenchRow(
        sample_id="1",
        source="mbpp",
        split="test",
        prompt="Write a function",
        correct={},
        cost_usd={},
        response={"mistralai/mistral-7b-chat": "def f(): pass", "gpt-4-1106-preview": ""},
    )
    table = replay_table_from_routerbench([row])
    assert table == {prompt_sha256("Write a function"): {"mistral-7b-chat": "def f(): pass"}}


def test_config_rejects_duplicate_models() -> None:
    with pytest.raises(pydantic.ValidationError, match="duplicate"):
        BackendConfig(models=(SimModel(name="a"), SimModel(name="a")))


def test_importing_serving_stays_light() -> None:
    code = (
        "import sys, serving; assert 'fastapi' not in sys.modules, 'fastapi';"
        "assert 'uvicorn' not in sys.modules, 'uvicorn'; serving.BackendConfig"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))


def test_cli_rejects_invalid_backend_config(tmp_path: Path) -> None:
    bad = tmp_path / "sim.json"
    bad.write_text('{"models": [], "latency_scale": -1}', encoding="utf-8")
    result = CliRunner().invoke(app, ["backends", "--config", str(bad)])
    assert result.exit_code == 2  # the CLI's one error path: message, no traceback
    assert result.output.startswith(f"error: {bad}: invalid backend config")
    assert "models" in result.output and "latency_scale" in result.output


def test_tool_calls_are_deterministic_and_stop_after_a_tool_result() -> None:
    tools = [
        {"type": "function", "function": {"name": "send_email", "description": "Email someone"}},
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather in a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                },
            },
        },
    ]
    ask = [{"role": "user", "content": "What's the weather in Lyon"}]
    call = tool_call_for(tools, "auto", ask, "m")
    assert call is not None and call == tool_call_for(tools, None, ask, "m")
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Lyon", "days": 1}
    assert call["id"].startswith("call_")
    named = {"type": "function", "function": {"name": "send_email"}}
    forced = tool_call_for(tools, named, ask, "m")
    assert forced is not None and forced["function"]["name"] == "send_email"
    assert tool_call_for(tools, "none", ask, "m") is None
    assert tool_call_for(None, "auto", ask, "m") is None
    result = {"role": "tool", "content": "9C"}
    answered = [*ask, {"role": "assistant", "tool_calls": [call]}, result]
    assert tool_call_for(tools, "auto", answered, "m") is None
    assert tool_call_for(tools, "required", answered, "m") is not None
