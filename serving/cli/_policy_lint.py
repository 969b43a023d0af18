"""Warnings about a valid policy that will still not work as meant (``policy validate``).

Each warning names ``file:line`` and the field:

- ``api_key_env`` holds something that looks like a key, not a variable name;
- tiers not ordered cheapest first (a tier whose cheapest deployment costs less than
  the previous tier's cheapest, for the tier's expected output);
- a model string litellm does not know (unknown provider; or, for a hosted provider
  without ``api_base``, a model missing from litellm's model map: a typo, usually);
- credentials the environment lacks (:mod:`serving.cascade._credentials`), and an
  ``api_key_env`` that is unset for a deployment with ``api_base`` (a placeholder key
  is sent: fine for a local server that wants none);
- a rule that forces a tier for long prompts (``min_tokens``) when no deployment of
  that tier has the context window for them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from classifier import litellm_env_defaults
from policies import Deployment, Policy, field_line_finder
from serving.cascade import deployment_credential_problem

__all__ = ["PolicyWarning", "lint_policy"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_LIKE = re.compile(r"^(sk-|sk_|pk-|xai-|gsk_|hf_|AIza|ghp_|tr-)|^[A-Za-z0-9_\-]{32,}$")


@dataclass(frozen=True)
class PolicyWarning:
    source: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.field}: {self.message}"


def lint_policy(policy: Policy, path: Path) -> list[PolicyWarning]:
    """Every warning for ``policy`` (read from ``path``, for the line numbers)."""
    line = field_line_finder(path.read_text(encoding="utf-8"))
    found: list[tuple[str, str]] = []
    for t, tier in enumerate(policy.tiers):
        for d, deployment in enumerate(tier.deployments):
            found += _deployment(f"tiers.{t}.deployments.{d}", deployment)
    found += _order(policy)
    found += _forced_context(policy)
    return [PolicyWarning(str(path), line(field), field, message) for field, message in found]


def _deployment(where: str, d: Deployment) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    env = d.api_key_env
    if env is not None and (not _ENV_NAME.match(env) or _KEY_LIKE.match(env)):
        shown = f"{env[:4]}...{env[-2:]}" if len(env) > 10 else "..."
        out.append(
            (
                f"{where}.api_key_env",
                f"{shown!r} looks like an API key, not the name of an environment variable: "
                "put the key in a variable (e.g. OPENAI_API_KEY), name the variable here, "
                "and rotate the key (it was in a file)",
            )
        )
        return out
    model = _unknown_model(d)
    if model is not None:
        out.append((f"{where}.model", model))
    problem = deployment_credential_problem(d)
    if problem is not None:
        out.append((f"{where}.api_key_env", f"{problem}: every call to {d.model} will fail"))
    elif env is not None and d.api_base and not os.environ.get(env):
        out.append(
            (
                f"{where}.api_key_env",
                f"{env} is not set: {d.api_base} gets a placeholder key",
            )
        )
    return out


def _unknown_model(d: Deployment) -> str | None:
    litellm_env_defaults()  # before litellm loads
    import litellm

    litellm.suppress_debug_info = True
    try:
        litellm.get_llm_provider(d.model)
    except Exception:
        return (
            f"litellm does not know the provider of {d.model!r}: write provider/model "
            "(openai/gpt-4o-mini, anthropic/claude-haiku-4-5, hosted_vllm/NAME)"
        )
    if d.api_base:
        return None  # a self-hosted or OpenAI-compatible server: any name it serves
    try:
        litellm.get_model_info(d.model)
    except Exception:
        return (
            f"litellm's model map does not know {d.model!r} (a typo? the provider "
            "will reject it; its prices and context window cannot be checked)"
        )
    return None


def _tier_cost(policy: Policy, index: int) -> float:
    tier = policy.tiers[index]
    return min(d.cost_usd(1000, tier.expected_output_tokens) for d in tier.deployments)


def _order(policy: Policy) -> list[tuple[str, str]]:
    out = []
    for i in range(1, len(policy.tiers)):
        here, before = _tier_cost(policy, i), _tier_cost(policy, i - 1)
        if here < before:
            prev = policy.tiers[i - 1].name
            out.append(
                (
                    f"tiers.{i}",
                    f"tier {policy.tiers[i].name!r} is cheaper than {prev!r} before it "
                    f"(${here * 1000:.4f} vs ${before * 1000:.4f} per 1k requests of 1k "
                    "input tokens): list tiers cheapest first",
                )
            )
    return out


def _forced_context(policy: Policy) -> list[tuple[str, str]]:
    out = []
    for i, rule in enumerate(policy.overrides):
        tier_name, tokens = rule.actions.force_tier, rule.match.min_tokens
        if tier_name is None or tokens is None or tier_name not in policy.tier_names:
            continue
        tier = policy.tiers[policy.tier_index(tier_name)]
        widest = max(d.context_window for d in tier.deployments)
        if widest < tokens + tier.expected_output_tokens:
            out.append(
                (
                    f"overrides.{i}.actions.force_tier",
                    f"rule {rule.name!r} forces tier {tier_name!r} for prompts of "
                    f"{tokens}+ tokens, but its widest context window is {widest} "
                    f"(< {tokens} + {tier.expected_output_tokens} expected output tokens)",
                )
            )
    return out
