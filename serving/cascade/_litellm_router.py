"""The default completion callable: a litellm Router built from a policy.

Each deployment becomes its own model group ``tierroute:<tier>:<index>`` with the
policy's ``api_base`` and the key read from ``api_key_env`` (when the process starts
serving, never at import). litellm applies the timeout, retries on 5xx/connection
errors (``num_retries``) and cooldowns (``allowed_fails`` failures in a minute take a
deployment out for ``cooldown_s``); 429s and timeouts are not retried: the cascade
falls back to the next deployment at once. Models the policy does not know go to
``litellm.acompletion`` unchanged (pass-through).
"""

from __future__ import annotations

import os
from typing import Any

from classifier import litellm_env_defaults
from policies import Policy
from serving._settings import Settings
from serving.cascade._cascade import CompletionFn, group_name

__all__ = ["build_completion"]


class _LitellmCompletion:
    """The default completion fn: policy groups via the litellm Router, others direct."""

    def __init__(self, router: Any, groups: frozenset[str]) -> None:
        self.router = router
        self.groups = groups

    async def __call__(self, *, model: str, **kwargs: Any) -> Any:
        if kwargs.get("tools"):
            # litellm sends any request with tools through its proxy's MCP gateway check,
            # which imports the optional ``mcp`` package (litellm[proxy]); this service
            # forwards tools to the backend and never runs MCP tools itself.
            kwargs["_skip_mcp_handler"] = True
        if model in self.groups:
            return await self.router.acompletion(model=model, **kwargs)
        import litellm

        return await litellm.acompletion(model=model, **kwargs)

    async def aembedding(self, *, model: str, **kwargs: Any) -> Any:
        """``/v1/embeddings`` (serving.http._passthrough): policy groups via the Router."""
        if model in self.groups:
            return await self.router.aembedding(model=model, **kwargs)
        import litellm

        return await litellm.aembedding(model=model, **kwargs)

    async def aresponses(self, *, model: str, **kwargs: Any) -> Any:
        """``/v1/responses`` (serving.http._passthrough): policy groups via the Router."""
        if model in self.groups:
            return await self.router.aresponses(model=model, **kwargs)
        import litellm

        return await litellm.aresponses(model=model, **kwargs)

    def serves(self, model: str) -> bool:
        """Whether litellm knows a provider for a pass-through ``model`` (else: 404)."""
        import litellm

        try:
            litellm.get_llm_provider(model)
        except litellm.exceptions.BadRequestError:
            return False
        return True


def build_completion(policy: Policy, settings: Settings) -> CompletionFn:
    """A litellm Router with one model group per deployment of ``policy``."""
    litellm_env_defaults()  # before litellm loads
    import importlib

    import litellm
    from litellm.router import Router

    # The openai client imports its resources on first use (seconds): do it at start,
    # not in the first user request.
    importlib.import_module("openai.resources")

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    model_list: list[dict[str, Any]] = []
    for tier in policy.tiers:
        for i, d in enumerate(tier.deployments):
            params: dict[str, Any] = {"model": d.model, "timeout": settings.backend_timeout_s}
            if d.api_base:
                params["api_base"] = d.api_base
            key = os.environ.get(d.api_key_env) if d.api_key_env else None
            if key or d.api_base:  # a local server without a key still needs a placeholder
                params["api_key"] = key or "unused"
            group = group_name(tier.name, i)
            model_list.append(
                {"model_name": group, "litellm_params": params, "model_info": {"id": group}}
            )
    retries = settings.num_retries
    router = Router(
        model_list=model_list,
        num_retries=retries,
        timeout=settings.backend_timeout_s,
        allowed_fails=settings.allowed_fails,
        cooldown_time=settings.cooldown_s,
        disable_cooldowns=settings.cooldown_s == 0,
        retry_policy={  # the cascade falls back at once instead of waiting out a 429
            "RateLimitErrorRetries": 0,
            "TimeoutErrorRetries": 0,
            "BadRequestErrorRetries": 0,
            "AuthenticationErrorRetries": 0,
            "NotFoundErrorRetries": 0,
            "ContentPolicyViolationErrorRetries": 0,
            "InternalServerErrorRetries": retries,
            "ServiceUnavailableErrorRetries": retries,
        },
    )
    groups = frozenset(str(entry["model_name"]) for entry in model_list)
    return _LitellmCompletion(router, groups)
