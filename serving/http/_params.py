"""Which request parameters reach a backend: OpenAI's, plus what the policy allows.

:class:`~serving.http._openai_api.ChatCompletionRequest` types and range-checks the OpenAI
parameters this service supports. Anything else a client sends is refused with a 400
that names it (OpenAI's "Unrecognized request argument supplied"), before any backend
is called, unless every condition holds:

- it cannot steer the call (:func:`policies.steering_param`: endpoints, credentials,
  headers, retries, timeouts, mock answers, ``litellm_*``...): those are refused even
  when a policy lists them (the policy loader refuses such policies too);
- a deployment of the plan lists it in ``extra_params``; it then goes to those
  deployments only (:meth:`serving.cascade._cascade.Plan.params_for`);
- its value holds no NaN or infinity.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from policies import steering_param
from serving.cascade import Plan
from serving.http._openai_api import ApiError

__all__ = ["check_extra_params", "refuse_steering", "refuse_unknown"]


def _unrecognized(name: str, why: str = "") -> ApiError:
    return ApiError(
        400,
        f"Unrecognized request argument supplied: {name}{why}",
        code="unknown_parameter",
        param=name,
    )


def refuse_steering(extra: Mapping[str, Any]) -> None:
    """400 for the first parameter that could steer the backend call."""
    for name in extra:
        if steering_param(name):
            why = " (parameters that choose the endpoint, credentials, headers, retries or "
            raise _unrecognized(name, why + "litellm behaviour are not accepted)")


def refuse_unknown(extra: Mapping[str, Any]) -> None:
    """400 for the first parameter outside an endpoint's typed allow-list (the
    pass-through endpoints take no ``extra_params``)."""
    refuse_steering(extra)
    for name in extra:
        raise _unrecognized(name)


def check_extra_params(extra: Mapping[str, Any], plan: Plan) -> Plan:
    """``plan`` carrying ``extra`` for the deployments that allow it; else a 400."""
    if not extra:
        return plan
    refuse_steering(extra)
    allowed: set[str] = set()
    for stage in plan.stages:
        for target in stage:
            if target.deployment is not None:
                allowed.update(target.deployment.extra_params)
    for name, value in extra.items():
        if name not in allowed:
            raise _unrecognized(name)
        where = _non_finite(value)
        if where is not None:
            raise ApiError(
                400,
                f"{name}{where}: expected a finite number, got NaN or infinity",
                code="invalid_value",
                param=name,
            )
    return dataclasses.replace(plan, extra=dict(extra))


def _non_finite(value: Any) -> str | None:
    """The path (``[0].x``) of the first NaN/infinity inside ``value``, else None."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:  # iterative: a deeply nested value cannot exhaust the recursion limit
        path, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return path
        if isinstance(item, dict):
            stack.extend((f"{path}.{k}", v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(item))
    return None
