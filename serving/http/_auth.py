"""Optional API keys: hashed in config, each mapped to a tenant id.

The config never holds a raw key, only ``sha256:<hex>`` of it (:func:`hash_key`)::

    keys:
      - hash: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        tenant: acme
        tiers: [small, medium]        # optional: tiers this key may be served by
        models: [tierroute/auto]      # optional: model strings this key may request
        budget_usd: 20.0              # optional: spend limit per budget_period (day|month)
        budget_period: month
        rpm: 60                       # optional: requests / tokens per minute
        tpm: 100000

``tierroute keys create`` writes such entries (see :mod:`serving.http._keys`); the limits
are enforced by :mod:`serving.http._limits`.

With no keys configured, auth is off and every request gets :data:`ANONYMOUS`.
Clients send the key as ``Authorization: Bearer <key>`` (what the ``openai`` client
does) or ``x-api-key: <key>``. Lookup compares digests in constant time against
every entry. Failures raise :class:`AuthError`, which serving renders as OpenAI-style
error JSON (401 missing/invalid key, 403 key not allowed for a model or tier).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request

from policies import TierrouteError
from serving.http._limits import KeyLimits

__all__ = [
    "ANONYMOUS",
    "ApiKeyEntry",
    "AuthError",
    "Authenticator",
    "KeyStore",
    "Principal",
    "generate_key",
    "hash_key",
]

_PREFIX = "sha256:"
_HASH_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


def hash_key(key: str) -> str:
    """The config form of an API key: ``sha256:`` + hex digest of its UTF-8 bytes."""
    if not key:
        raise ValueError("an API key cannot be empty")
    return _PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_key() -> str:
    """A new random API key (256 bits): give it to the client, store only hash_key(it)."""
    return "tr-" + secrets.token_urlsafe(32)


class AuthError(TierrouteError):
    """A request is not authenticated (401) or not allowed (403)."""

    def __init__(self, status_code: int, message: str, code: str, param: str | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.code = code
        self.param = param
        self.error_type = "invalid_request_error"
        self.headers = {"WWW-Authenticate": "Bearer"} if status_code == 401 else {}

    def to_openai(self) -> dict[str, Any]:
        error = {"message": self.message, "type": self.error_type}
        return {"error": {**error, "param": self.param, "code": self.code}}


class ApiKeyEntry(BaseModel):
    """One key of the config. ``id`` (safe to log) defaults to the hash's first 12 hex digits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hash: str
    tenant: str = Field(min_length=1)
    id: str | None = None
    tiers: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    budget_usd: float | None = Field(default=None, gt=0)
    budget_period: Literal["day", "month"] | None = None
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)
    created: str | None = None

    @field_validator("hash")
    @classmethod
    def _check_hash(cls, value: str) -> str:
        value = value.strip().lower()
        if not _HASH_RE.match(value):
            raise ValueError(
                "expected 'sha256:' followed by 64 hex digits (hash_key(key)); "
                "never put a raw key in the config"
            )
        return value

    @property
    def key_id(self) -> str:
        return self.id or self.hash[len(_PREFIX) : len(_PREFIX) + 12]

    @property
    def limits(self) -> KeyLimits | None:
        if self.budget_usd is None and self.rpm is None and self.tpm is None:
            return None
        period = self.budget_period or "month"
        return KeyLimits(self.budget_usd, period, self.rpm, self.tpm)


class _KeyFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    keys: tuple[ApiKeyEntry, ...]


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``tenant`` and ``key_id`` are None when auth is off."""

    tenant: str | None
    key_id: str | None = None
    tiers: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    limits: KeyLimits | None = None

    def require_model(self, model: str) -> None:
        """403 unless this key may request ``model`` (the request's model string)."""
        if self.models is not None and model not in self.models:
            raise AuthError(403, f"this API key may not use model {model!r}", "model_not_allowed")

    def require_tier(self, tier: str) -> None:
        """403 unless this key may be served by ``tier``."""
        if self.tiers is not None and tier not in self.tiers:
            raise AuthError(
                403, f"this API key may not be served by tier {tier!r}", "tier_not_allowed"
            )

    def allows_tier(self, tier: str) -> bool:
        return self.tiers is None or tier in self.tiers


ANONYMOUS = Principal(tenant=None)


class KeyStore:
    """The configured keys; empty means auth is off."""

    def __init__(self, entries: Sequence[ApiKeyEntry] = ()) -> None:
        seen: dict[str, int] = {}
        for index, entry in enumerate(entries):
            if entry.hash in seen:
                raise TierrouteError(f"keys[{index}].hash: same key as keys[{seen[entry.hash]}]")
            seen[entry.hash] = index
        self.entries = tuple(entries)
        self._digests = tuple(bytes.fromhex(e.hash[len(_PREFIX) :]) for e in self.entries)

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    @classmethod
    def load(cls, path: str | Path) -> KeyStore:
        """Read ``{"keys": [...]}`` from a YAML or JSON file; errors name the file and field."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise TierrouteError(f"{path}: cannot read API keys: {exc}") from exc
        try:
            return cls(_KeyFile.model_validate(data).keys)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()
            )
            raise TierrouteError(f"{path}: invalid API keys: {problems}") from exc
        except TierrouteError as exc:
            raise TierrouteError(f"{path}: {exc}") from exc

    @classmethod
    def parse_spec(cls, spec: str) -> KeyStore:
        """Keys from one string (an env var): ``sha256:<hex>=tenant[,sha256:<hex>=tenant2]``."""
        entries = []
        for index, item in enumerate(p.strip() for p in spec.split(",") if p.strip()):
            digest, sep, tenant = item.rpartition("=")
            try:
                if not sep:
                    raise ValueError("expected 'sha256:<hex>=tenant'")
                entries.append(ApiKeyEntry(hash=digest, tenant=tenant.strip()))
            except (ValueError, ValidationError) as exc:
                raise TierrouteError(
                    f"API key spec entry {index + 1}: {_first_error(exc)}"
                ) from exc
        return cls(entries)

    def authenticate(self, key: str | None) -> Principal:
        """The principal of ``key``; :data:`ANONYMOUS` when auth is off; else AuthError(401)."""
        if not self.enabled:
            return ANONYMOUS
        if not key:
            raise AuthError(
                401,
                "missing API key: send it as 'Authorization: Bearer <key>'",
                "invalid_api_key",
            )
        presented = hashlib.sha256(key.encode("utf-8")).digest()
        found: ApiKeyEntry | None = None
        for entry, digest in zip(self.entries, self._digests, strict=True):
            if hmac.compare_digest(digest, presented):  # no early exit: constant time
                found = entry
        if found is None:
            raise AuthError(401, f"incorrect API key provided: {_mask(key)}", "invalid_api_key")
        return Principal(found.tenant, found.key_id, found.tiers, found.models, found.limits)


class Authenticator:
    """FastAPI dependency: ``principal: Principal = Depends(authenticator)``.

    ``store`` may be a callable, so the keys can be swapped while the app runs.
    """

    def __init__(self, store: KeyStore | Callable[[], KeyStore]) -> None:
        self._store = store

    def __call__(self, request: Request) -> Principal:
        store = self._store if isinstance(self._store, KeyStore) else self._store()
        return store.authenticate(_presented_key(request))


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        raise AuthError(
            401, "malformed Authorization header: expected 'Bearer <key>'", "invalid_api_key"
        )
    return request.headers.get("x-api-key") or None


def _mask(key: str) -> str:
    return f"{key[:4]}...{key[-2:]}" if len(key) > 10 else "***"


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(map(str, error['loc']))}: {error['msg']}"
    return str(exc)
