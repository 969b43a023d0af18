"""Request parameters that no client and no policy may set: they would choose the
endpoint, the credentials or the headers of a backend call, or drive litellm itself."""

from __future__ import annotations

__all__ = ["steering_param"]

# Request parameters that steer where a call goes or with what credentials, or that
# control litellm itself: never accepted from a client, never allowed by a policy.
_STEERING_NAMES = frozenset(
    {"api_base", "base_url", "api_key", "api_version", "api_type", "custom_llm_provider",
     "mock_response", "mock_tool_calls", "mock_timeout", "extra_headers", "headers",
     "extra_body", "extra_query", "timeout", "stream_timeout", "fallbacks",
     "context_window_fallbacks", "content_policy_fallbacks", "num_retries", "max_retries",
     "model_list", "organization", "deployment_id", "metadata_headers", "input_cost_per_token",
     "output_cost_per_token", "caching", "cache", "no-log", "proxy_server_request",
     "acompletion", "client", "http_client", "azure_ad_token", "azure_ad_token_provider",
     "default_headers", "region_name"}
)  # fmt: skip
_STEERING_PARTS = ("litellm", "api_key", "secret", "token_provider", "credential", "password",
                   "endpoint", "base_url", "header")  # fmt: skip
_STEERING_PREFIXES = ("aws_", "vertex_", "azure_", "watsonx_", "_")


def steering_param(name: str) -> bool:
    """Whether request parameter ``name`` could steer the backend call (endpoint,
    credentials, headers, retries, litellm internals) instead of shaping the answer."""
    low = name.lower()
    return (
        low in _STEERING_NAMES
        or any(part in low for part in _STEERING_PARTS)
        or low.startswith(_STEERING_PREFIXES)
    )
