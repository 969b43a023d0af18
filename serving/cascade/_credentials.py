"""Which deployments of a policy cannot authenticate with the environment they run in.

A deployment is missing its credentials when

- its ``api_key_env`` names a variable that is unset or empty and it has no
  ``api_base`` (a hosted provider: every call would fail with 401); a deployment with
  an ``api_base`` (a self-hosted vLLM, the simulated backends) may need no key and is
  reported by ``policy validate`` as a warning only;
- it has neither ``api_key_env`` nor ``api_base`` and litellm says the provider's own
  variable (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``...) is missing.

``/readyz`` lists them (and answers 503 when no deployment at all can authenticate);
``tierroute policy validate`` warns about each.
"""

from __future__ import annotations

import os
from typing import Any

from classifier import litellm_env_defaults
from policies import Deployment, Policy

__all__ = ["deployment_credential_problem", "missing_credentials"]


def deployment_credential_problem(deployment: Deployment) -> str | None:
    """Why ``deployment`` cannot authenticate, or None when it can (or may)."""
    if deployment.api_key_env:
        if os.environ.get(deployment.api_key_env) or deployment.api_base:
            return None
        return f"api_key_env {deployment.api_key_env} is not set"
    if deployment.api_base:
        return None
    litellm_env_defaults()  # before litellm loads
    import litellm

    try:
        found = litellm.validate_environment(deployment.model)
    except Exception:  # an unknown provider: `policy validate` reports the model itself
        return None
    missing = found.get("missing_keys") or []
    if found.get("keys_in_environment") or not missing:
        return None
    return f"no api_key_env, and {', '.join(missing)} is not set"


def missing_credentials(policy: Policy) -> list[dict[str, Any]]:
    """One entry per deployment of ``policy`` that is missing its credentials."""
    out: list[dict[str, Any]] = []
    for tier in policy.tiers:
        for index, deployment in enumerate(tier.deployments):
            problem = deployment_credential_problem(deployment)
            if problem is not None:
                entry = {"tier": tier.name, "index": index, "model": deployment.model}
                out.append({**entry, "problem": problem})
    return out
