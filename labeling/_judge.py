"""LLM-as-judge difficulty labels: which tier is the cheapest that answers a prompt well.

    judge = Judge("openai/gpt-4o-mini", tiers=("small", "medium", "frontier"),
                  cache_dir=Path(".cache/judge"))
    verdicts = judge.judge(prompts)      # one JudgeVerdict per prompt, same order

Calls run concurrently (``concurrency`` at a time), are retried with exponential
backoff, and are cached on disk by (prompt sha256, judge model, rubric version), so a
re-run makes no calls and costs nothing. A verdict whose answer cannot be parsed, or
whose calls all failed, abstains (``tier=None``); it never raises.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from policies import LabelingError

__all__ = ["RUBRIC_VERSION", "Judge", "JudgeVerdict", "build_rubric", "parse_verdict"]

RUBRIC_VERSION = "difficulty-v1"
_log = logging.getLogger(__name__)

_RUBRIC = """You rate how hard a user request is for language models (rubric {version}).
Model tiers, cheapest first: {tiers}.
Choose the cheapest tier whose answer to the request would be as good as the best tier's:
correct, complete and following every instruction. Requests needing multi-step reasoning,
code, SQL, math or long context usually need a stronger tier; chit-chat, lookups and
simple rewrites do not.
Reply with JSON only: {{"tier": "<one of: {tiers}>", "confidence": <number from 0 to 1>}}.

<prompt>
{prompt}
</prompt>"""

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class JudgeVerdict:
    prompt_sha256: str
    tier: str | None  # None = abstain (unparseable answer, error after retries)
    confidence: float
    cost_usd: float
    cached: bool


def build_rubric(prompt: str, tiers: Sequence[str]) -> str:
    """The judge's instruction for ``prompt`` (fixed for :data:`RUBRIC_VERSION`)."""
    return _RUBRIC.format(version=RUBRIC_VERSION, tiers=", ".join(tiers), prompt=prompt)


def parse_verdict(text: str, tiers: Sequence[str]) -> tuple[str, float] | None:
    """``(tier, confidence)`` from a judge reply (JSON, fenced or amid text), else None."""
    by_name = {t.lower(): t for t in tiers}
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in (i for i, ch in enumerate(candidate) if ch == "{"):
            try:
                obj, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("tier"), str):
                continue
            tier = by_name.get(obj["tier"].strip().lower())
            confidence = obj.get("confidence", 0.5)
            if tier is None or isinstance(confidence, bool):
                return None
            if not isinstance(confidence, int | float) or confidence != confidence:  # NaN
                return None
            return tier, min(max(float(confidence), 0.0), 1.0)
    return None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


class _VerdictCache:
    """One JSON file per (rubric version, judge model, prompt sha256), written atomically."""

    def __init__(self, root: Path, model: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model)[:60]
        self.folder = root / RUBRIC_VERSION / f"{safe}-{_sha256(model)[:8]}"

    def get(self, prompt_sha: str) -> dict[str, Any] | None:
        path = self.folder / prompt_sha[:2] / f"{prompt_sha}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            _log.warning("judge cache %s unreadable (%s); judging again", path, exc)
            return None
        return data if isinstance(data, dict) else None

    def put(self, prompt_sha: str, record: dict[str, Any]) -> None:
        folder = self.folder / prompt_sha[:2]
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
            os.replace(tmp, folder / f"{prompt_sha}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _reply_text(response: Any) -> str | None:
    choices = _field(response, "choices") or []
    message = _field(choices[0], "message") if choices else None
    content = _field(message, "content") if message is not None else None
    return content if isinstance(content, str) else None


class Judge:
    """Label prompt difficulty with an LLM judge (any litellm model string).

    ``completion`` defaults to ``litellm.acompletion`` (imported on first use) and is
    called with ``model, messages, api_base, api_key, temperature, max_tokens, timeout,
    max_retries`` keyword arguments; tests inject a fake. Cost per call comes from
    litellm (``response._hidden_params["response_cost"]``), else from usage times
    ``input_cost_per_mtok`` / ``output_cost_per_mtok``; a call priced by neither costs 0
    and is counted in ``unpriced_calls``. Counters: ``calls`` (attempts sent),
    ``cache_hits``, ``errors`` (failed attempts), ``abstentions``, ``total_cost_usd``.
    """

    def __init__(
        self,
        model: str,
        *,
        tiers: tuple[str, ...],
        cache_dir: Path,
        api_base: str | None = None,
        api_key: str | None = None,
        concurrency: int = 8,
        retries: int = 2,
        timeout_s: float = 30.0,
        completion: Callable[..., Awaitable[Any]] | None = None,
        input_cost_per_mtok: float | None = None,
        output_cost_per_mtok: float | None = None,
        backoff_s: float = 0.5,
    ) -> None:
        if not tiers or len(set(tiers)) != len(tiers):
            raise LabelingError(f"Judge: tiers: expected distinct tier names, got {tiers!r}")
        if concurrency < 1 or retries < 0 or timeout_s <= 0 or backoff_s < 0:
            raise LabelingError("Judge: concurrency >= 1, retries >= 0, timeout_s > 0 required")
        self.model = model
        self.tiers = tuple(tiers)
        self.api_base, self.api_key = api_base, api_key
        self.concurrency, self.retries = concurrency, retries
        self.timeout_s, self.backoff_s = timeout_s, backoff_s
        self.input_cost_per_mtok = input_cost_per_mtok
        self.output_cost_per_mtok = output_cost_per_mtok
        self._completion = completion
        self._cache = _VerdictCache(Path(cache_dir), model)
        self.total_cost_usd = 0.0
        self.calls = 0
        self.cache_hits = 0
        self.errors = 0
        self.abstentions = 0
        self.unpriced_calls = 0
        self.last_error: str | None = None

    def judge(self, prompts: Sequence[str]) -> list[JudgeVerdict]:
        """Judge ``prompts`` (blocking; from async code use :meth:`ajudge`)."""
        return asyncio.run(self.ajudge(prompts))

    async def ajudge(self, prompts: Sequence[str]) -> list[JudgeVerdict]:
        """One verdict per prompt, in order; a prompt repeated in the batch is judged once."""
        shas = [_sha256(p) for p in prompts]
        unique = dict(zip(shas, prompts, strict=True))
        semaphore = asyncio.Semaphore(self.concurrency)
        verdicts = await asyncio.gather(
            *(self._ajudge_one(sha, prompt, semaphore) for sha, prompt in unique.items())
        )
        by_sha = dict(zip(unique, verdicts, strict=True))
        return [by_sha[sha] for sha in shas]

    async def _ajudge_one(
        self, sha: str, prompt: str, semaphore: asyncio.Semaphore
    ) -> JudgeVerdict:
        hit = self._cache.get(sha)
        if hit is not None and "tier" in hit:
            self.cache_hits += 1
            if hit["tier"] is None:
                self.abstentions += 1
            return JudgeVerdict(sha, hit["tier"], float(hit.get("confidence", 0.0)), 0.0, True)
        reply, cost = await self._acall(build_rubric(prompt, self.tiers), semaphore)
        if reply is None:  # every attempt failed: abstain, and do not cache
            self.abstentions += 1
            return JudgeVerdict(sha, None, 0.0, cost, False)
        parsed = parse_verdict(reply, self.tiers)
        if parsed is None:
            self.abstentions += 1
            _log.warning("judge %s: unparseable reply for %s: %.200r", self.model, sha, reply)
        tier, confidence = parsed or (None, 0.0)
        verdict = JudgeVerdict(sha, tier, confidence, cost, False)
        record = asdict(verdict) | {"model": self.model, "rubric": RUBRIC_VERSION, "reply": reply}
        self._cache.put(sha, record)
        return verdict

    async def _acall(self, rubric: str, semaphore: asyncio.Semaphore) -> tuple[str | None, float]:
        """The reply text (None when every attempt failed) and what the attempts cost."""
        completion = self._completion or _litellm_acompletion()
        messages = [{"role": "user", "content": rubric}]
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
            self.calls += 1
            try:
                async with semaphore:
                    response = await asyncio.wait_for(
                        completion(
                            model=self.model,
                            messages=messages,
                            api_base=self.api_base,
                            api_key=self.api_key,
                            temperature=0,
                            max_tokens=64,
                            timeout=self.timeout_s,
                            max_retries=0,
                        ),
                        timeout=self.timeout_s,
                    )
            except Exception as exc:  # any provider or transport error: retry, then abstain
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                _log.warning("judge %s attempt %d failed: %s", self.model, attempt + 1, exc)
                continue
            cost = self._cost(response)
            self.total_cost_usd += cost
            return _reply_text(response) or "", cost
        return None, 0.0

    def _cost(self, response: Any) -> float:
        hidden = getattr(response, "_hidden_params", None)
        cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
        if isinstance(cost, int | float) and not isinstance(cost, bool):
            return float(cost)
        usage = _field(response, "usage")
        prompt_tokens = _field(usage, "prompt_tokens") if usage is not None else None
        output_tokens = _field(usage, "completion_tokens") if usage is not None else None
        prices = (self.input_cost_per_mtok, self.output_cost_per_mtok)
        if None in prices or not isinstance(prompt_tokens, int):
            self.unpriced_calls += 1
            return 0.0
        assert prices[0] is not None and prices[1] is not None
        return (prompt_tokens * prices[0] + int(output_tokens or 0) * prices[1]) / 1e6


def _litellm_acompletion() -> Callable[..., Awaitable[Any]]:
    import litellm

    acompletion: Callable[..., Awaitable[Any]] = litellm.acompletion
    return acompletion
