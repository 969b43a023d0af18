"""The LLM judge: parsing, cache, retries and cost; unit (fake completion) and over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from labeling._judge import Judge, build_rubric, parse_verdict
from policies import LabelingError
from serving import BackendProcess, SimModel, default_backend_config
from serving.sim import judge_answer

TIERS = ("small", "medium", "frontier")
PROMPTS = [
    "Say hi",
    "What is the capital of France?",
    "Translate 'good morning' to Spanish",
    "Write a Python function that merges two sorted lists",
    "Fix the bug in this code: def f(x): return x +",
    "SELECT name FROM users JOIN orders ON users.id = orders.user_id WHERE total > 10; slow?",
    "Prove that the square root of 2 is irrational",
    "Solve the equation 3x + 7 = 22",
    "Compare the trade-offs of REST and gRPC and explain why one would pick each",
    "Give me a synonym for happy",
    "Summarize: the cat sat on the mat. " * 60,
    "Analyze this Python class for thread-safety issues: class C: pass",
    "What is 12 * 34?",
    "Write a haiku about autumn",
    "Explain why the sky is blue",
    "List three fruits",
    "Compute the integral of x^2 from 0 to 3",
    "Create table orders and select the top customers from it",
    "Write Python code that runs SELECT * FROM orders JOIN users, then prove the equation",
    "Refactor this function to be recursive: def fact(n): ...",
]


def _reply(content: str, prompt_tokens: int = 100, completion_tokens: int = 10) -> Any:
    usage = SimpleNamespace(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    message = SimpleNamespace(content=content)
    return SimpleNamespace(choices=[SimpleNamespace(message=message)], usage=usage)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"tier": "medium", "confidence": 0.7}', ("medium", 0.7)),
        ('Sure!\n```json\n{"tier": "Frontier", "confidence": 0.9}\n```\nDone.', ("frontier", 0.9)),
        ('I think {"tier": "small"} fits.', ("small", 0.5)),
        ('{"tier": "small", "confidence": 7}', ("small", 1.0)),
        ('{"tier": "huge", "confidence": 0.9}', None),
        ('{"tier": "small", "confidence": "high"}', None),
        ("small, probably", None),
        ("", None),
    ],
)
def test_parse_verdict(text: str, expected: tuple[str, float] | None) -> None:
    assert parse_verdict(text, TIERS) == expected


def test_fake_completion_cache_and_cost(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    async def fake(**kwargs: Any) -> Any:
        seen.append(kwargs)
        rubric = kwargs["messages"][0]["content"]
        return _reply("```json\n" + judge_answer(rubric) + "\n```")

    judge = Judge(
        "fake/judge",
        tiers=TIERS,
        cache_dir=tmp_path,
        completion=fake,
        input_cost_per_mtok=1.0,
        output_cost_per_mtok=2.0,
    )
    verdicts = judge.judge(["Say hi", "Prove the equation", "Say hi"])
    assert [v.tier for v in verdicts] == ["small", "medium", "small"]
    assert judge.calls == 2  # the repeated prompt is judged once
    assert seen[0]["model"] == "fake/judge" and seen[0]["temperature"] == 0
    assert "Say hi" in seen[0]["messages"][0]["content"]
    assert judge.total_cost_usd == pytest.approx(2 * (100 * 1.0 + 10 * 2.0) / 1e6)
    again = Judge("fake/judge", tiers=TIERS, cache_dir=tmp_path, completion=fake)
    cached = again.judge(["Prove the equation", "Say hi"])
    assert again.calls == 0 and again.cache_hits == 2 and again.total_cost_usd == 0
    assert all(v.cached and v.cost_usd == 0 for v in cached)
    assert [v.tier for v in cached] == ["medium", "small"]
    other_model = Judge("fake/other", tiers=TIERS, cache_dir=tmp_path, completion=fake)
    other_model.judge(["Say hi"])
    assert other_model.calls == 1  # the cache key includes the judge model


def test_unparseable_reply_abstains_and_unknown_cost_is_counted(tmp_path: Path) -> None:
    async def fake(**kwargs: Any) -> Any:
        return _reply("I would say it is moderately hard.")

    judge = Judge("fake/judge", tiers=TIERS, cache_dir=tmp_path, completion=fake)
    [verdict] = judge.judge(["Explain monads"])
    assert verdict.tier is None and verdict.confidence == 0.0
    assert judge.abstentions == 1 and judge.unpriced_calls == 1 and judge.total_cost_usd == 0


def test_errors_and_timeouts_are_retried_then_abstain(tmp_path: Path) -> None:
    attempts: dict[str, int] = {}

    async def fake(**kwargs: Any) -> Any:
        rubric = kwargs["messages"][0]["content"]
        attempts[rubric] = attempts.get(rubric, 0) + 1
        if "flaky" in rubric and attempts[rubric] == 1:
            raise ConnectionError("connection reset")
        if "hang" in rubric:
            await asyncio.sleep(5)
        return _reply(json.dumps({"tier": "small", "confidence": 0.8}))

    judge = Judge(
        "fake/judge",
        tiers=TIERS,
        cache_dir=tmp_path,
        completion=fake,
        timeout_s=0.05,
        retries=2,
        backoff_s=0,
    )
    flaky, hang = judge.judge(["flaky prompt", "hang forever"])
    assert flaky.tier == "small"
    assert hang.tier is None
    assert judge.errors == 1 + 3 and judge.calls == 2 + 3
    assert judge.last_error is not None and "TimeoutError" in judge.last_error
    rerun = Judge(
        "fake/judge", tiers=TIERS, cache_dir=tmp_path, completion=fake, timeout_s=0.05, retries=0
    )
    flaky_again, hang_again = rerun.judge(["flaky prompt", "hang forever"])
    assert flaky_again.cached and not hang_again.cached  # failures are not cached
    assert rerun.calls == 1


def test_concurrency_is_bounded(tmp_path: Path) -> None:
    in_flight = peak = 0

    async def fake(**kwargs: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return _reply('{"tier": "small", "confidence": 1}')

    judge = Judge("fake/judge", tiers=TIERS, cache_dir=tmp_path, completion=fake, concurrency=3)
    assert len(judge.judge([f"prompt {i}" for i in range(12)])) == 12
    assert peak == 3


def test_corrupt_cache_entry_is_judged_again(tmp_path: Path) -> None:
    async def fake(**kwargs: Any) -> Any:
        return _reply('{"tier": "medium", "confidence": 0.6}')

    Judge("fake/judge", tiers=TIERS, cache_dir=tmp_path, completion=fake).judge(["x"])
    [entry] = list(tmp_path.rglob("*.json"))
    entry.write_text("{not json", encoding="utf-8")
    judge = Judge("fake/judge", tiers=TIERS, cache_dir=tmp_path, completion=fake)
    assert judge.judge(["x"])[0].tier == "medium" and judge.calls == 1


def test_bad_arguments_raise_labeling_error(tmp_path: Path) -> None:
    with pytest.raises(LabelingError, match="tiers"):
        Judge("fake/judge", tiers=(), cache_dir=tmp_path)
    with pytest.raises(LabelingError, match="concurrency"):
        Judge("fake/judge", tiers=TIERS, cache_dir=tmp_path, concurrency=0)


@pytest.fixture(scope="module")
def backend() -> Iterator[BackendProcess]:
    base = default_backend_config(latency_scale=0, timeout_s=5)
    extra = (
        SimModel(name="judge-flaky", judge=True, fail_times=1, fault="500"),
        SimModel(name="judge-broken", judge=True, fail_rate=1.0, fault="500"),
    )
    with BackendProcess(base.model_copy(update={"models": (*base.models, *extra)})) as process:
        yield process


def _http_judge(backend: BackendProcess, model: str, cache: Path, **kwargs: Any) -> Judge:
    return Judge(
        f"openai/{model}",
        tiers=TIERS,
        cache_dir=cache,
        api_base=backend.base_url,
        api_key="sk-test",
        backoff_s=0,
        **kwargs,
    )


@pytest.mark.integration
def test_judges_over_http_through_litellm_then_hits_cache(
    backend: BackendProcess, tmp_path: Path
) -> None:
    judge = _http_judge(
        backend, "judge", tmp_path, input_cost_per_mtok=0.5, output_cost_per_mtok=1.5
    )
    verdicts = judge.judge(PROMPTS)
    expected = [json.loads(judge_answer(build_rubric(p, TIERS))) for p in PROMPTS]
    assert [v.tier for v in verdicts] == [e["tier"] for e in expected]
    assert [v.confidence for v in verdicts] == [e["confidence"] for e in expected]
    assert {v.tier for v in verdicts} == set(TIERS)
    assert judge.calls == len(PROMPTS) and judge.errors == 0
    assert judge.total_cost_usd == pytest.approx(sum(v.cost_usd for v in verdicts))
    assert all(v.cost_usd > 0 and not v.cached for v in verdicts)

    rerun = _http_judge(backend, "judge", tmp_path)
    again = rerun.judge(PROMPTS)
    assert rerun.calls == 0 and rerun.total_cost_usd == 0
    assert all(v.cached for v in again)
    assert [v.tier for v in again] == [v.tier for v in verdicts]
    assert backend.stats()["requests"]["judge"] == len(PROMPTS)


@pytest.mark.integration
def test_http_500_is_retried(backend: BackendProcess, tmp_path: Path) -> None:
    judge = _http_judge(backend, "judge-flaky", tmp_path, retries=2)
    verdicts = judge.judge(PROMPTS[:3])
    assert all(v.tier in TIERS for v in verdicts)
    assert judge.errors == 3 and judge.calls == 6


@pytest.mark.integration
def test_http_permanent_failure_abstains(backend: BackendProcess, tmp_path: Path) -> None:
    judge = _http_judge(backend, "judge-broken", tmp_path, retries=1)
    verdicts = judge.judge(PROMPTS[:2])
    assert [v.tier for v in verdicts] == [None, None]
    assert judge.errors == 4 and judge.abstentions == 2
    assert judge.last_error is not None and "InternalServerError" in judge.last_error
    rerun = _http_judge(backend, "judge-broken", tmp_path, retries=0)
    rerun.judge(PROMPTS[:2])
    assert rerun.calls == 2  # failures are not cached
