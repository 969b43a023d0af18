"""The API key file: create, list and revoke keys (``tierroute keys ...``), and a
store that follows the file while the service runs.

    tierroute keys create --file keys.yaml --tenant acme --budget-usd 20 --per month --rpm 60
    tierroute keys list --file keys.yaml
    tierroute keys revoke --file keys.yaml ab12cd34ef56

The file holds hashes only (``sha256:<hex>``, see :func:`serving.http._auth.hash_key`);
the key itself is printed once, by ``create``, and cannot be recovered. Writes
replace the file atomically (mode 0600). A running service re-reads the file when
its modification time changes (checked at most once a second), so a created key
works and a revoked key stops working without a restart, on every replica that
reads the file.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from policies import TierrouteError
from serving.http._auth import ApiKeyEntry, KeyStore, generate_key, hash_key

__all__ = ["FollowedKeyStore", "create_key", "read_key_file", "revoke_key"]

_HEADER = (
    "# tierroute API keys: hashes only (sha256 of each key), written by `tierroute keys`.\n"
    "# The keys themselves were printed once when created; they cannot be recovered.\n"
)


def read_key_file(path: Path) -> tuple[ApiKeyEntry, ...]:
    """The entries of ``path``; an absent file has none."""
    if not path.exists():
        return ()
    return KeyStore.load(path).entries


def _write(path: Path, entries: Sequence[ApiKeyEntry]) -> None:
    data = {"keys": [e.model_dump(exclude_none=True) for e in entries]}
    text = _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_key(
    path: Path,
    tenant: str,
    *,
    tiers: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    budget_usd: float | None = None,
    per: str | None = None,
    rpm: int | None = None,
    tpm: int | None = None,
) -> tuple[str, ApiKeyEntry]:
    """Add a new key to ``path``; return (the key, to show once, and its entry)."""
    if per is not None and budget_usd is None:
        raise TierrouteError("--per needs --budget-usd (the budget it is the period of)")
    key = generate_key()
    fields: dict[str, Any] = {
        "hash": hash_key(key),
        "tenant": tenant,
        "tiers": tuple(tiers) if tiers else None,
        "models": tuple(models) if models else None,
        "budget_usd": budget_usd,
        "budget_period": (per or "month") if budget_usd is not None else None,
        "rpm": rpm,
        "tpm": tpm,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    from pydantic import ValidationError

    try:
        entry = ApiKeyEntry(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(map(str, error["loc"]))
        flag = "per" if where == "budget_period" else where.replace("_", "-")
        raise TierrouteError(f"--{flag}: {error['msg']}") from exc
    entries = read_key_file(path)
    _write(path, (*entries, entry))
    return key, entry


def revoke_key(path: Path, key_id: str) -> ApiKeyEntry:
    """Remove the key with id ``key_id`` (or whose hash starts with it) from ``path``."""
    entries = read_key_file(path)
    wanted = key_id.removeprefix("sha256:")
    matches = [
        e
        for e in entries
        if e.key_id == key_id or (len(wanted) >= 8 and e.hash[7:].startswith(wanted))
    ]
    if not matches:
        raise TierrouteError(f"{path}: no key with id {key_id!r} (see `tierroute keys list`)")
    if len(matches) > 1:
        raise TierrouteError(f"{path}: {key_id!r} matches {len(matches)} keys; give more digits")
    _write(path, [e for e in entries if e is not matches[0]])
    return matches[0]


class FollowedKeyStore:
    """The key store of a file, re-read when the file changes (a callable for
    :class:`serving.http._auth.Authenticator`). A file that became invalid keeps the last
    good keys and logs the problem once per change."""

    def __init__(self, path: Path, check_every_s: float = 1.0) -> None:
        self.path = path
        self.check_every_s = check_every_s
        self.store = KeyStore.load(path)
        self._stamp = self._stat()
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def _stat(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def __call__(self) -> KeyStore:
        now = time.monotonic()
        if now - self._checked < self.check_every_s:
            return self.store
        with self._lock:
            self._checked = now
            stamp = self._stat()
            if stamp is not None and stamp != self._stamp:
                self._stamp = stamp
                try:
                    self.store = KeyStore.load(self.path)
                except TierrouteError as exc:
                    import logging

                    logging.getLogger("tierroute.serving").error("keeping the old keys: %s", exc)
        return self.store
