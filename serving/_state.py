"""State that several replicas must agree on: conversation tiers, spend and rate windows.

One small interface, :class:`SharedState`, two implementations:

- :class:`MemoryState` (the default): a dict with expiry times in this process. Each
  replica (and each ``--workers`` process) then keeps its own view.
- :class:`RedisState`: ``TIERROUTE_REDIS_URL=redis://host:6379/0``. Every replica reads
  and writes the same keys, so a conversation sticks and a budget holds across them.

Values are strings (tiers) or floats (counters). ``incr`` is atomic in both (Redis
``INCRBYFLOAT`` + ``EXPIRE`` in one transaction), which is what keeps a budget from
being overspent by two replicas that read the same total at once: each admission
check reads, each answered request adds its own cost.

Keys carry the prefix ``tierroute:`` so the database can be shared with other tools
(litellm's own Redis cache uses unprefixed keys of its own shape).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from policies import TierrouteError

__all__ = ["MemoryState", "RedisState", "SharedState", "StateError", "open_state"]

PREFIX = "tierroute:"


class StateError(TierrouteError):
    """The shared state (Redis) cannot be reached or answered something unexpected."""

    status_code = 503
    code = "state_unavailable"
    error_type = "api_error"


class SharedState(Protocol):
    """The few operations the service needs from its shared state."""

    name: str

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl_s: float) -> None: ...

    async def get_float(self, key: str) -> float: ...

    async def incr(self, key: str, amount: float, ttl_s: float) -> float:
        """Add ``amount`` to the counter ``key`` (created at 0, expiring after ``ttl_s``
        from its creation); return the new value."""
        ...

    async def get_floats(self, keys: Sequence[str]) -> list[float]:
        """Several counters in one round trip (absent: 0)."""
        ...

    async def incr_many(self, items: Sequence[tuple[str, float, float]]) -> list[float]:
        """Several ``incr`` (key, amount, ttl_s) in one round trip, atomically each."""
        ...

    async def aclose(self) -> None: ...


class MemoryState:
    """:class:`SharedState` in this process's memory (one replica)."""

    name = "memory"

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 200_000):
        self._clock = clock
        self._max_keys = max_keys
        self._items: dict[str, tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> Any:
        item = self._items.get(key)
        if item is None:
            return None
        if item[1] <= self._clock():
            del self._items[key]
            return None
        return item[0]

    def _store(self, key: str, value: Any, expires: float) -> None:
        if len(self._items) >= self._max_keys and key not in self._items:
            now = self._clock()
            for stale in [k for k, (_, exp) in self._items.items() if exp <= now]:
                del self._items[stale]
            if len(self._items) >= self._max_keys:  # still full: drop the oldest entry
                del self._items[next(iter(self._items))]
        self._items[key] = (value, expires)

    async def get(self, key: str) -> str | None:
        with self._lock:
            value = self._live(key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        with self._lock:
            self._store(key, value, self._clock() + ttl_s)

    async def get_float(self, key: str) -> float:
        with self._lock:
            value = self._live(key)
        return float(value) if value is not None else 0.0

    async def incr(self, key: str, amount: float, ttl_s: float) -> float:
        with self._lock:
            item = self._items.get(key)
            now = self._clock()
            if item is None or item[1] <= now:
                total, expires = float(amount), now + ttl_s
            else:
                total, expires = float(item[0]) + amount, item[1]
            self._store(key, total, expires)
            return total

    async def get_floats(self, keys: Sequence[str]) -> list[float]:
        return [await self.get_float(key) for key in keys]

    async def incr_many(self, items: Sequence[tuple[str, float, float]]) -> list[float]:
        return [await self.incr(key, amount, ttl) for key, amount, ttl in items]

    async def aclose(self) -> None:
        return None


class RedisState:
    """:class:`SharedState` in Redis (``redis.asyncio``), shared by every replica."""

    name = "redis"

    def __init__(self, url: str, *, timeout_s: float = 1.0) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError as exc:  # pragma: no cover - redis is a base dependency
            raise StateError("TIERROUTE_REDIS_URL needs the 'redis' package") from exc
        self.url = url
        self._redis = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            decode_responses=True,
            health_check_interval=30,
        )

    async def _do(self, what: str, call: Callable[[], Any]) -> Any:
        import redis

        try:
            return await call()
        except (redis.RedisError, OSError) as exc:
            raise StateError(f"shared state {_safe_url(self.url)}: {what}: {exc}") from exc

    async def ping(self) -> None:
        await self._do("PING", self._redis.ping)

    async def get(self, key: str) -> str | None:
        value = await self._do("GET", lambda: self._redis.get(PREFIX + key))
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        ms = max(1, int(ttl_s * 1000))
        await self._do("SET", lambda: self._redis.set(PREFIX + key, value, px=ms))

    async def get_float(self, key: str) -> float:
        value = await self._do("GET", lambda: self._redis.get(PREFIX + key))
        return float(value) if value is not None else 0.0

    async def incr(self, key: str, amount: float, ttl_s: float) -> float:
        [total] = await self.incr_many([(key, amount, ttl_s)])
        return total

    async def get_floats(self, keys: Sequence[str]) -> list[float]:
        if not keys:
            return []
        values = await self._do("MGET", lambda: self._redis.mget([PREFIX + k for k in keys]))
        return [float(v) if v is not None else 0.0 for v in values]

    async def incr_many(self, items: Sequence[tuple[str, float, float]]) -> list[float]:
        if not items:
            return []

        async def run() -> Any:
            async with self._redis.pipeline(transaction=True) as pipe:
                for key, amount, ttl_s in items:
                    pipe.incrbyfloat(PREFIX + key, amount)
                    # the window's expiry is set once, when the counter is created
                    pipe.pexpire(PREFIX + key, max(1, int(ttl_s * 1000)), nx=True)
                return await pipe.execute()

        results = await self._do("INCRBYFLOAT", run)
        return [float(total) for total in results[::2]]

    async def aclose(self) -> None:
        await self._redis.aclose()


def _safe_url(url: str) -> str:
    """The URL without its password (it goes into error messages and /readyz)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def open_state(redis_url: str | None) -> SharedState:
    """Redis when a URL is given, else this process's memory."""
    return RedisState(redis_url) if redis_url else MemoryState()
