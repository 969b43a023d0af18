"""Service settings: environment variables with a ``TIERROUTE_`` prefix, then CLI flags.

    TIERROUTE_POLICY=policies/default.yaml TIERROUTE_PORT=8080 tierroute serve
    tierroute serve --policy my.yaml --model artifacts/minilm-int8 --port 8080

Every field can be set as ``TIERROUTE_<FIELD>`` (case-insensitive); ``tierroute serve``
flags override the environment. Invalid values stop the service at start with the
field name in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from classifier import DataSettings

__all__ = ["DEFAULT_REFUSAL_PATTERNS", "Settings"]

# Openings of an answer that declines the task: the cascade escalates such answers.
DEFAULT_REFUSAL_PATTERNS: tuple[str, ...] = (
    r"^\s*(?:I'?m|I am) (?:sorry|afraid)\b",
    r"^\s*(?:Sorry|Unfortunately),? (?:but )?I (?:can(?:no|')?t|am unable|'m unable)",
    r"^\s*I (?:can(?:no|')?t|am unable to|'m unable to|won'?t) (?:help|assist|answer|comply|do)",
    r"^\s*I apologi[sz]e\b",
    r"^\s*As an AI(?: language model)?,? I (?:can(?:no|')?t|am unable|don'?t)",
)


class Settings(DataSettings):
    """What ``create_app`` needs; see the module docstring for how to set it.

    Builds on :class:`classifier.DataSettings` (data dir, MLflow URI, shared data, decision
    log); here an empty ``TIERROUTE_DECISION_LOG`` switches the log off."""

    model_config = SettingsConfigDict(
        env_prefix="TIERROUTE_",
        frozen=True,
        extra="forbid",
        validate_default=True,
        env_ignore_empty=False,
    )

    policy: Path | None = Field(default=None, description="policy YAML (default: shipped one)")
    model: str | None = Field(
        default=None,
        description="classifier artifact directory or models:/NAME@ALIAS (default: shipped model)",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes")

    decision_log: Path | None = Field(
        default=None,
        description="JSON-lines decision log (default: <data_dir>/decisions/decisions.jsonl); "
        "empty string switches logging off",
    )
    log_redact: Literal["none", "hash", "full"] = "none"
    log_fsync: Literal["always", "interval", "never"] = "interval"
    log_route_requests: bool = Field(
        default=False, description="also log /v1/route decisions (no attempts)"
    )

    api_keys: str | None = Field(
        default=None, description="'sha256:<hex>=tenant,...' (hashed keys); unset = no auth"
    )
    api_keys_file: Path | None = Field(default=None, description="YAML/JSON key store")
    policy_poll_s: float | None = Field(
        default=2.0, description="seconds between policy-file checks; unset = SIGHUP only"
    )
    model_poll_s: float | None = Field(
        default=30.0,
        gt=0,
        description="seconds between registry checks when model is models:/NAME@ALIAS "
        "(the scorer follows the alias); unset = load once",
    )

    max_body_bytes: int = Field(default=8 << 20, gt=0, description="request body limit")
    max_route_batch: int = Field(
        default=256, ge=1, description="prompts one /v1/route request may hold (else 413)"
    )
    max_in_flight: int = Field(
        default=64, ge=1, description="requests a worker serves at once; more get 503 at once"
    )
    shed_retry_after_s: int = Field(default=1, ge=0, description="Retry-After of a shed request")
    cpu_threads: int = Field(default=1, ge=1, description="threads that score prompts")
    backend_timeout_s: float = Field(default=60.0, gt=0, description="per attempt")
    num_retries: int = Field(default=1, ge=0, description="litellm retries per deployment")
    allowed_fails: int = Field(
        default=2,
        ge=0,
        description="failures per breaker window a deployment may have; "
        "one more (when at least half its calls failed) opens its circuit",
    )
    breaker_window_s: float = Field(
        default=60.0, gt=0, description="seconds of results the circuit breaker counts"
    )
    cooldown_s: float = Field(
        default=30.0,
        ge=0,
        description="seconds an open circuit skips its deployment; 0 disables circuit breaking",
    )
    passthrough: bool = Field(
        default=True, description="send models the policy does not know to litellm as-is"
    )
    fallback_down: bool = Field(
        default=True, description="when every tier above failed, try the tiers below"
    )
    refusal_patterns: tuple[str, ...] = DEFAULT_REFUSAL_PATTERNS
    stream_holdback_chars: int = Field(
        default=48, ge=0, description="streamed characters checked before the first is sent"
    )
    conversation_cache_size: int = Field(
        default=100_000, ge=0, description="conversations whose last tier is kept (sticky)"
    )
    conversation_ttl_s: float = Field(
        default=3600.0, gt=0, description="seconds a conversation's last tier is kept"
    )

    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db: share conversation tiers, budgets and rate limits "
        "with every replica; unset = this process only",
    )
    tracking_uri: str | None = Field(
        default=None,
        description="MLflow tracking URI for models:/NAME@ALIAS (default $MLFLOW_TRACKING_URI)",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces "
        "(default $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / $OTEL_EXPORTER_OTLP_ENDPOINT); "
        "unset = no traces exported",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_decision_log(cls, data: Any) -> Any:
        """An unset decision log goes under the data directory; '' stays 'off'."""
        if isinstance(data, dict) and data.get("decision_log") is None:
            data_dir = Path(data.get("data_dir") or ".tierroute")
            data = {**data, "decision_log": data_dir / "decisions" / "decisions.jsonl"}
        return data

    @field_validator(
        "decision_log",
        "api_keys_file",
        "policy",
        "policy_poll_s",
        "model_poll_s",
        "redis_url",
        "tracking_uri",
        "otlp_endpoint",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("refusal_patterns")
    @classmethod
    def _patterns_compile(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for i, pattern in enumerate(value):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"refusal_patterns[{i}]: invalid pattern: {exc}") from exc
        return value
