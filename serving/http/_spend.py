"""What a request cost, from the usage its backends reported.

The cost of a request is the sum over its attempts (a failed check that escalated
still cost its tokens): each attempt's tokens times its deployment's prices in the
policy; for a pass-through model the policy does not price, litellm's price map.
The service reports it three ways:

- the ``x-tierroute-cost-usd`` response header (non-streaming answers);
- ``usage.cost`` in the body (and in the streamed usage chunk), which is where
  litellm used as a client reads a proxy's charge, so its ``response_cost`` (and
  its callbacks and budgets) see tierroute's figure;
- the decision log's attempts (``cost_usd`` per attempt).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from router import Attempt

if TYPE_CHECKING:
    from serving.http._auth import Principal
    from serving.http._limits import Limiter

__all__ = ["COST_HEADER", "account", "attempt_cost", "format_cost", "request_cost"]

COST_HEADER = "x-tierroute-cost-usd"
_log = logging.getLogger("tierroute.serving")


def attempt_cost(attempt: Attempt) -> float:
    """One attempt's cost in USD (0 when it reported no usage or the model has no price)."""
    if attempt.cost_usd is not None:
        return float(attempt.cost_usd)
    if not attempt.input_tokens and not attempt.output_tokens:
        return 0.0
    return _litellm_price(attempt.model, attempt.input_tokens or 0, attempt.output_tokens or 0)


def _litellm_price(model: str, input_tokens: int, output_tokens: int) -> float:
    import litellm

    try:
        prompt, completion = litellm.cost_per_token(
            model=model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )
    except Exception as exc:  # litellm raises plain Exception for unmapped models
        _log.debug("no price for %s: %s", model, exc)
        return 0.0
    return float(prompt) + float(completion)


def request_cost(attempts: Iterable[Attempt]) -> float:
    """The request's cost: every attempt's, summed."""
    return sum(attempt_cost(a) for a in attempts)


def request_tokens(attempts: Iterable[Attempt]) -> int:
    return sum((a.input_tokens or 0) + (a.output_tokens or 0) for a in attempts)


def format_cost(cost: float) -> str:
    """A header value: plain decimal, no exponent (``0.000042``)."""
    return f"{cost:.10f}".rstrip("0").rstrip(".") or "0"


async def account(limiter: Limiter, principal: Principal, attempts: Iterable[Attempt]) -> float:
    """Add a finished request's real cost and tokens to its key's budget and windows."""
    attempts = list(attempts)
    cost = request_cost(attempts)
    await limiter.record(principal, cost, request_tokens(attempts))
    return cost
