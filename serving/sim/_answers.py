"""What the simulated backends say: model table, answers (replayed or synthetic), the
judge's verdicts, and the OpenAI response shapes that carry them.

Everything here is pure and deterministic: the same (model, prompt) always gets the
same answer, so tests and demos can assert on it. The HTTP side lives in
:mod:`serving.sim._server`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from policies import Policy, default_policy
from router import estimate_tokens, prompt_sha256

__all__ = [
    "JUDGE_MODEL",
    "BackendConfig",
    "FaultKind",
    "SimModel",
    "answer_for",
    "completion_body",
    "default_backend_config",
    "judge_answer",
    "prompt_sha256",
    "replay_table_from_routerbench",
    "sse_chunk",
    "tool_call_for",
    "usage_of",
]

FaultKind = Literal["timeout", "429", "500", "drop_stream"]
JUDGE_MODEL = "judge"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SimModel(_Frozen):
    """One simulated model: its latency, price, answer quality and injected faults."""

    name: str = Field(min_length=1, description="model id clients send (without 'openai/')")
    ttft_ms: float = Field(default=50.0, ge=0, description="time to first token")
    tpot_ms: float = Field(default=5.0, ge=0, description="time per output token")
    input_cost_per_mtok: float = Field(default=0.0, ge=0, description="USD per 1M input tokens")
    output_cost_per_mtok: float = Field(default=0.0, ge=0, description="USD per 1M output tokens")
    quality: float = Field(default=0.5, ge=0, le=1, description="0..1, longer answers when high")
    context_window: int = Field(default=32768, gt=0)
    fail_rate: float = Field(default=0.0, ge=0, le=1, description="share of requests that fail")
    fail_times: int = Field(default=0, ge=0, description="fail the first N calls per prompt")
    fault: FaultKind = Field(default="500", description="what a failing request does")
    judge: bool = Field(default=False, description="answers rubric prompts with a JSON verdict")


class BackendConfig(_Frozen):
    """The simulated backend server: hosted models, latency scale, faults, replay table."""

    models: tuple[SimModel, ...]
    latency_scale: float = Field(default=1.0, ge=0, description="0 = no simulated latency")
    timeout_s: float = Field(default=30.0, gt=0, description="how long a 'timeout' fault hangs")
    retry_after_s: int = Field(default=1, ge=0, description="retry-after of a 429 fault")
    seed: int = Field(default=0, description="seed of the fail_rate RNG")
    replay: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="prompt sha256 -> model -> recorded answer"
    )

    @field_validator("models")
    @classmethod
    def _unique_models(cls, value: tuple[SimModel, ...]) -> tuple[SimModel, ...]:
        if not value:
            raise ValueError("models: at least one model is required")
        names = [m.name for m in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"models: duplicate names {dupes}")
        return value

    def model(self, name: str) -> SimModel | None:
        """The hosted model called ``name`` (an ``openai/`` prefix is ignored), or None."""
        name = name.removeprefix("openai/")
        return next((m for m in self.models if m.name == name), None)


def default_backend_config(policy: Policy | None = None, **overrides: object) -> BackendConfig:
    """Host every model ``policy`` (default: the shipped one) points at, plus ``judge``."""
    policy = policy or default_policy()
    models: list[SimModel] = []
    n_tiers = len(policy.tiers)
    for rank, tier in enumerate(policy.tiers):
        quality = 0.4 + 0.5 * rank / max(n_tiers - 1, 1)
        for dep in tier.deployments:
            name = dep.model.split("/", 1)[1] if "/" in dep.model else dep.model
            if any(m.name == name for m in models):
                continue
            models.append(
                SimModel(
                    name=name,
                    ttft_ms=dep.ttft_ms,
                    tpot_ms=dep.tpot_ms,
                    input_cost_per_mtok=dep.input_cost_per_mtok,
                    output_cost_per_mtok=dep.output_cost_per_mtok,
                    quality=round(quality, 2),
                    context_window=dep.context_window,
                )
            )
    models.append(
        SimModel(
            name=JUDGE_MODEL,
            ttft_ms=200,
            tpot_ms=10,
            input_cost_per_mtok=0.5,
            output_cost_per_mtok=1.5,
            quality=0.9,
            judge=True,
        )
    )
    return BackendConfig.model_validate({"models": models, **overrides})


def replay_table_from_routerbench(rows: Iterable[object]) -> dict[str, dict[str, str]]:
    """Replay table from RouterBench rows (``classifier.read_routerbench``).

    Model names lose their vendor prefix (``mistralai/mistral-7b-chat`` ->
    ``mistral-7b-chat``), matching the names the default policy sends.
    """
    from classifier import RouterBenchRow

    table: dict[str, dict[str, str]] = {}
    for row in rows:
        if not isinstance(row, RouterBenchRow):
            raise TypeError(f"expected RouterBenchRow, got {type(row).__name__}")
        answers = {m.rsplit("/", 1)[-1]: r for m, r in row.response.items() if r}
        if answers:
            table.setdefault(prompt_sha256(row.prompt), {}).update(answers)
    return table


_OPENINGS = (
    "Here is a concise answer.",
    "Short answer first, then the details.",
    "Let me walk through this step by step.",
    "Good question; the key point is simple.",
)
_BODY = (
    "The main idea is to break the problem into smaller parts and solve each one.",
    "Start from the definitions, then check the edge cases one at a time.",
    "In practice the simplest approach that meets the requirements works best.",
    "The result follows from applying the rule consistently to each input.",
    "A quick sanity check on a small example confirms the reasoning.",
    "Note the trade-off between speed and accuracy in this choice.",
    "If the input is empty, the answer is trivially the empty result.",
    "Measure before optimizing; the bottleneck is rarely where expected.",
)


def answer_for(model: SimModel, prompt: str, replay: dict[str, dict[str, str]]) -> str:
    """The recorded answer of ``model`` if the prompt is in ``replay``, else a synthetic one."""
    if model.judge:
        return judge_answer(prompt)
    recorded = replay.get(prompt_sha256(prompt), {})
    base = model.name.removesuffix("-spec")  # speculative decoding does not change outputs
    if model.name in recorded or base in recorded:
        return recorded.get(model.name) or recorded[base]
    digest = hashlib.sha256(f"{model.name}\0{prompt}".encode(errors="surrogatepass")).digest()
    n_sentences = 2 + round(model.quality * 4)
    parts = [_OPENINGS[digest[0] % len(_OPENINGS)]]
    parts += [_BODY[digest[1 + i] % len(_BODY)] for i in range(n_sentences)]
    return " ".join(parts)


def completion_body(
    model: SimModel,
    prompt: str,
    pieces: list[str],
    finish: str,
    rid: str,
    tool_calls: list[dict[str, Any]] | None = None,
    n: int = 1,
) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` object answering ``prompt`` with ``pieces`` (``n``
    identical choices), or with ``tool_calls`` (then ``content`` is null and
    ``finish_reason`` ``tool_calls``)."""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces)}
    if tool_calls:
        message = {"role": "assistant", "content": None, "tool_calls": tool_calls}
        finish = "tool_calls"
    return {
        "id": rid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model.name,
        "system_fingerprint": "tierroute-sim",
        "choices": [
            {"index": i, "message": message, "logprobs": None, "finish_reason": finish}
            for i in range(max(1, n))
        ],
        "usage": usage_of(prompt, pieces * max(1, n)),
    }


_WORD = re.compile(r"[\w-]+")


def tool_call_for(
    tools: list[dict[str, Any]] | None,
    tool_choice: str | dict[str, Any] | None,
    messages: list[dict[str, Any]],
    model: str,
) -> dict[str, Any] | None:
    """The tool call a simulated model makes, or None when it answers in text.

    No call without ``tools``, with ``tool_choice: "none"``, or (``auto``) once the
    conversation already holds a tool result. Otherwise it calls the named tool
    (``{"type": "function", "function": {"name": ...}}``), else the tool whose name and
    description share the most words with the last user message (ties: the first).
    Arguments fill the schema's properties: the enum's first value, else the last word
    of the message for strings, 1 for numbers, true, [] or {}. Deterministic.
    """
    functions = [t["function"] for t in tools or () if isinstance(t.get("function"), dict)]
    if not functions or tool_choice == "none":
        return None
    if tool_choice in (None, "auto") and any(m.get("role") == "tool" for m in messages):
        return None
    users = [m for m in messages if m.get("role") == "user"]
    text = _text(users[-1].get("content")) if users else ""
    words = set(_WORD.findall(text.lower()))
    if isinstance(tool_choice, dict):
        wanted = (tool_choice.get("function") or {}).get("name")
        chosen = next((f for f in functions if f.get("name") == wanted), functions[0])
    else:
        chosen = max(functions, key=lambda f: _overlap(f, words))  # max keeps the first tie
    arguments = _arguments(chosen.get("parameters") or {}, _WORD.findall(text)[-1:])
    name = str(chosen.get("name", ""))
    digest = hashlib.sha256(f"{model}\0{name}\0{text}".encode(errors="surrogatepass"))
    return {
        "id": f"call_{digest.hexdigest()[:24]}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _overlap(function: dict[str, Any], words: set[str]) -> int:
    about = f"{function.get('name', '')} {function.get('description', '')}".replace("_", " ")
    return len(words & set(_WORD.findall(about.lower())))


_DEFAULTS: dict[str, Any] = {"number": 1, "integer": 1, "boolean": True, "array": [], "object": {}}


def _arguments(schema: dict[str, Any], last_word: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, spec in (schema.get("properties") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        if spec.get("enum"):
            out[key] = spec["enum"][0]
        elif spec.get("type") in _DEFAULTS:
            out[key] = _DEFAULTS[spec["type"]]
        else:
            out[key] = last_word[0] if last_word else ""
    return out


def usage_of(prompt: str, pieces: list[str]) -> dict[str, int]:
    """OpenAI ``usage``: prompt tokens estimated from text, one token per answer piece."""
    prompt_tokens = estimate_tokens(prompt)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(pieces),
        "total_tokens": prompt_tokens + len(pieces),
    }


def sse_chunk(rid: str, model: str, delta: dict[str, Any], finish: str | None) -> str:
    """One server-sent event carrying a ``chat.completion.chunk``."""
    body = {
        "id": rid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "tierroute-sim",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


# The rubric format of labeling._judge: tiers line and the judged prompt between tags.
_TIERS_RE = re.compile(r"tiers, cheapest first: ([^\n]+?)\.?\n", re.IGNORECASE)
_PROMPT_OPEN, _PROMPT_CLOSE = "<prompt>\n", "\n</prompt>"
_FEATURES: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(select|insert|update|join|where|group by)\b.*\b(from|table)\b", re.I), 0.35),
    (re.compile(r"```|\bdef |\bclass |\bfunction\b|\bpython\b|\bcode\b|\bbug\b", re.I), 0.35),
    (
        re.compile(r"\bprove\b|\bintegral\b|\bequation\b|\bderivative\b|\d+\s*[*/^]\s*\d+", re.I),
        0.35,
    ),
    (re.compile(r"\bexplain why\b|\bcompare\b|\btrade-?offs?\b|\banaly[sz]e\b", re.I), 0.15),
)


def judge_answer(rubric: str) -> str:
    """The ``judge`` model's reply: JSON tier + confidence from simple prompt features.

    Score = length (up to 0.3) + SQL/code/math/analysis keywords; the score picks a tier
    among those the rubric lists (cheapest first). Deterministic, so tests can assert.
    """
    match = _TIERS_RE.search(rubric)
    tiers = [t.strip() for t in match.group(1).split(",")] if match else []
    tiers = [t for t in tiers if t] or ["small", "medium", "frontier"]
    start, end = rubric.find(_PROMPT_OPEN), rubric.rfind(_PROMPT_CLOSE)
    judged = rubric[start + len(_PROMPT_OPEN) : end] if 0 <= start < end else rubric
    score = min(len(judged.split()) / 400, 0.3)
    score += sum(weight for pattern, weight in _FEATURES if pattern.search(judged))
    score = min(score, 0.999)
    position = score * len(tiers)
    index = int(position)
    confidence = round(0.55 + 0.4 * abs(position - index - 0.5), 2)
    return json.dumps({"tier": tiers[index], "confidence": confidence})


def embedding_body(model: str, inputs: str | list[Any], dimensions: int = 16) -> dict[str, Any]:
    """An OpenAI ``embeddings`` answer: one deterministic unit vector per input (from
    the text's SHA-256), ``usage.prompt_tokens`` estimated from the text."""
    texts = [inputs] if isinstance(inputs, str) else [str(x) for x in inputs]
    data = []
    for i, text in enumerate(texts):
        digest = hashlib.sha256(text.encode("utf-8")).digest() * (1 + dimensions // 32)
        raw = [b / 255 - 0.5 for b in digest[:dimensions]]
        norm = sum(x * x for x in raw) ** 0.5 or 1.0
        data.append({"object": "embedding", "index": i, "embedding": [x / norm for x in raw]})
    tokens = sum(estimate_tokens(t) for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": model, "usage": usage}


def add_embeddings_route(app: Any, config: BackendConfig) -> None:
    """``POST /v1/embeddings`` on the simulated backend ``app`` for ``config``'s models."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    async def embeddings(request: Request) -> JSONResponse:
        body = await request.json()
        name = body.get("model") if isinstance(body, dict) else None
        inputs = body.get("input") if isinstance(body, dict) else None
        if not isinstance(name, str) or config.model(name) is None:
            error = {"message": f"The model `{name}` does not exist", "param": "model"}
            return JSONResponse({"error": {**error, "type": "invalid_request_error"}}, 404)
        if not isinstance(inputs, str | list) or not inputs:
            error = {"message": "input: expected a string or a list", "param": "input"}
            return JSONResponse({"error": {**error, "type": "invalid_request_error"}}, 400)
        dims = body.get("dimensions")
        return JSONResponse(embedding_body(name, inputs, dims if isinstance(dims, int) else 16))

    app.router.add_route("/v1/embeddings", embeddings, methods=["POST"])
