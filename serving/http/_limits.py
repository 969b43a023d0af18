"""Per-key budgets and rate limits, checked before any backend is called.

A key (see :mod:`serving.http._auth`) may carry:

- ``budget_usd`` per ``budget_period`` (``day`` or ``month``, UTC calendar periods):
  once the key's spend in the period reaches the budget, requests get 429
  ``insufficient_quota`` until the period ends;
- ``rpm``: requests per minute (a fixed window per UTC minute);
- ``tpm``: tokens per minute, counted from the usage the backends reported.

Spend is counted from real usage: the cost of every attempt the request made
(fallbacks and escalations included), added after the answer. So a budget can be
overshot by the requests in flight when it is reached, never by more: the next
admission check sees the total. The counters live in the :class:`SharedState`
(Redis when ``TIERROUTE_REDIS_URL`` is set), so every replica enforces one budget.

Refusals are OpenAI's 429 shape with ``Retry-After`` (seconds until the window or
period ends)::

    {"error": {"message": "Rate limit reached for key ab12cd34ef56 on requests per min
     (RPM): Limit 2, Used 2, Requested 1. Please try again in 41s.",
     "type": "requests", "param": null, "code": "rate_limit_exceeded"}}
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol

from serving.http._openai_api import ApiError

if TYPE_CHECKING:
    from serving._state import SharedState

__all__ = ["KeyLimits", "Limiter", "RateLimitError"]

Period = Literal["day", "month"]


class Principal(Protocol):
    """What limits need of a caller (``serving.http._auth.Principal`` is one)."""

    @property
    def key_id(self) -> str | None: ...

    @property
    def limits(self) -> KeyLimits | None: ...


@dataclass(frozen=True)
class KeyLimits:
    """What one key may spend and send. None: no limit of that kind."""

    budget_usd: float | None = None
    budget_period: Period = "month"
    rpm: int | None = None
    tpm: int | None = None


class RateLimitError(ApiError):
    """429 in OpenAI's shape, with ``Retry-After``."""

    def __init__(self, message: str, *, error_type: str, code: str, retry_after_s: float) -> None:
        super().__init__(429, message, code=code, error_type=error_type)
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        self.headers = {"Retry-After": str(self.retry_after_s)}


def period_window(period: Period, now: float) -> tuple[str, float]:
    """(tag, seconds left) of the UTC day or month that holds ``now``."""
    moment = datetime.fromtimestamp(now, UTC)
    if period == "day":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start.timestamp() + 86_400
        return start.strftime("%Y-%m-%d"), end - now
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    end = start.replace(year=year, month=month).timestamp()
    return start.strftime("%Y-%m"), end - now


class Limiter:
    """Admits requests against the caller's :class:`KeyLimits` and records their usage."""

    def __init__(self, state: SharedState, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self._clock = clock

    async def admit(self, principal: Principal, input_tokens: int = 0) -> None:
        """Raise :class:`RateLimitError` when the key is over budget or over a rate.

        One round trip to the state: the budget and token counters are read while the
        request counter is incremented (and decremented again if the request is refused)."""
        limits = principal.limits
        if limits is None or principal.key_id is None:
            return
        key, now = principal.key_id, self._clock()
        minute, left = int(now // 60), 60 - now % 60
        tag, period_left = period_window(limits.budget_period, now)
        reads = [f"spend:{key}:{tag}"] if limits.budget_usd is not None else []
        reads += [f"tpm:{key}:{minute}"] if limits.tpm is not None else []
        rpm_key = f"rpm:{key}:{minute}"
        counts = [(rpm_key, 1.0, 120.0)] if limits.rpm is not None else []
        values, counted = await asyncio.gather(
            self.state.get_floats(reads), self.state.incr_many(counts)
        )
        try:
            if limits.budget_usd is not None:
                spent = values.pop(0)
                if spent >= limits.budget_usd:
                    raise RateLimitError(
                        f"You exceeded your current quota: key {key} spent ${spent:.6f} of its "
                        f"${limits.budget_usd:g} {_ADJ[limits.budget_period]} budget; it "
                        f"resets in {math.ceil(period_left)}s.",
                        error_type="insufficient_quota",
                        code="insufficient_quota",
                        retry_after_s=period_left,
                    )
            if limits.tpm is not None:
                used = values.pop(0)
                if used >= limits.tpm or used + input_tokens > limits.tpm:
                    raise _rate_error(key, "tokens", "TPM", limits.tpm, used, input_tokens, left)
            if limits.rpm is not None and counted[0] > limits.rpm:
                raise _rate_error(key, "requests", "RPM", limits.rpm, counted[0] - 1, 1, left)
        except RateLimitError:
            if counts:  # a refused request does not use up the window
                await self.state.incr_many([(rpm_key, -1.0, 120.0)])
            raise

    async def record(self, principal: Principal, cost_usd: float, tokens: int) -> None:
        """Add one answered request's real cost and tokens to the key's windows."""
        limits = principal.limits
        if limits is None or principal.key_id is None:
            return
        key, now = principal.key_id, self._clock()
        items: list[tuple[str, float, float]] = []
        if limits.budget_usd is not None and cost_usd > 0:
            tag, left = period_window(limits.budget_period, now)
            items.append((f"spend:{key}:{tag}", cost_usd, left + 86_400))
        if limits.tpm is not None and tokens > 0:
            items.append((f"tpm:{key}:{int(now // 60)}", float(tokens), 120.0))
        await self.state.incr_many(items)

    async def spent(self, principal: Principal) -> float:
        """The key's spend in its current budget period (0 without a budget)."""
        limits = principal.limits
        if limits is None or principal.key_id is None:
            return 0.0
        tag, _ = period_window(limits.budget_period, self._clock())
        return await self.state.get_float(f"spend:{principal.key_id}:{tag}")


_ADJ = {"day": "daily", "month": "monthly"}


def _rate_error(
    key: str, kind: str, short: str, limit: int, used: float, wanted: int, left: float
) -> RateLimitError:
    unit = "requests" if kind == "requests" else "tokens"
    return RateLimitError(
        f"Rate limit reached for key {key} on {unit} per min ({short}): Limit {limit}, "
        f"Used {used:g}, Requested {wanted}. Please try again in {math.ceil(left)}s.",
        error_type=kind,
        code="rate_limit_exceeded",
        retry_after_s=left,
    )
