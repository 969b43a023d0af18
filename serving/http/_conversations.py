"""Sticky conversations in the service: who is talking, and which tier served them last.

With ``conversations.sticky`` in the policy, an auto-routed follow-up turn goes to at
least the tier that answered the conversation's previous turn, less
``conversations.max_step_down`` (:func:`router.sticky_decision`). The service keeps the
previous tier per conversation in a :class:`ConversationStore` (bounded LRU with a TTL,
one per app, in the lifespan state).

A request names its conversation, first match wins:

1. the ``x-tierroute-conversation-id`` header;
2. ``metadata.conversation_id``, ``metadata.session_id`` (Langfuse / litellm SDK
   callbacks) or ``metadata.litellm_session_id`` (litellm proxy session logs), also
   ``litellm_session_id`` at the top of a chat body (litellm's ``extra_body`` form);
3. none: ``auto:<hash>`` of the tenant and the first user turn, the key replay uses, so
   clients that resend the whole history need nothing. Such a request only follows up
   when it holds more than one user turn (:func:`router.follows_up`).

``user`` is not used: it names an end user, who may hold many conversations at once.
Ids are scoped by tenant: two tenants that pick the same id do not share a tier.

With a ``remote`` :class:`serving._state.SharedState` (Redis, ``TIERROUTE_REDIS_URL``)
the tiers are shared by every replica: :meth:`ConversationStore.aload` reads a
follow-up's previous tier from it before routing, :meth:`ConversationStore.remember`
writes the answering tier to it (:meth:`ConversationStore.flush` waits for the write;
the service awaits it before the client gets the answer, so the next turn sees it on
any replica).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from policies import Policy, PromptError
from router import Decision, Router, auto_conversation_id, follows_up, sticky_decision

if TYPE_CHECKING:
    from serving._state import SharedState

__all__ = [
    "CONVERSATION_HEADER",
    "Conversation",
    "ConversationStore",
    "conversation_of",
    "identify_conversation",
]

CONVERSATION_HEADER = "x-tierroute-conversation-id"
METADATA_KEYS = ("conversation_id", "session_id", "litellm_session_id")
BODY_KEYS = ("litellm_session_id",)
MAX_ID_CHARS = 256


@dataclass(frozen=True)
class Conversation:
    """The conversation one request belongs to."""

    id: str  # the client's id, or auto:<hash>
    user_turns: int  # user messages in the request (1 for a plain prompt)
    tenant: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant or "", self.id)

    @property
    def follows_up(self) -> bool:
        return follows_up(self.id, self.user_turns)


def identify_conversation(
    prompt: Any,
    *,
    tenant: str | None,
    header: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    body_extra: Mapping[str, Any] | None = None,
) -> Conversation:
    """The conversation of a request (see the module docstring for the order)."""
    given = _given_id(header, metadata, body_extra)
    turns, first = _user_turns(prompt)
    cid = given if given is not None else auto_conversation_id(tenant, first)
    return Conversation(cid, turns, tenant)


def conversation_of(
    request: Request,
    prompt: Any,
    tenant: str | None,
    metadata: Mapping[str, Any] | None,
    body_extra: Mapping[str, Any] | None = None,
) -> Conversation:
    """:func:`identify_conversation` with the header read from ``request``."""
    header = request.headers.get(CONVERSATION_HEADER)
    return identify_conversation(
        prompt, tenant=tenant, header=header, metadata=metadata, body_extra=body_extra
    )


def _given_id(
    header: str | None, metadata: Mapping[str, Any] | None, body_extra: Mapping[str, Any] | None
) -> str | None:
    sources: list[tuple[str, object]] = [(f"header {CONVERSATION_HEADER}", header)]
    sources += [(f"metadata.{k}", (metadata or {}).get(k)) for k in METADATA_KEYS]
    sources += [(k, (body_extra or {}).get(k)) for k in BODY_KEYS]
    for where, value in sources:
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_CHARS:
            raise PromptError(
                f"{where}: expected a non-empty conversation id of at most {MAX_ID_CHARS} "
                f"characters, got {type(value).__name__} of length {len(str(value))}"
            )
        return value
    return None


def _user_turns(prompt: Any) -> tuple[int, Any]:
    """(user messages, content of the first one) of a prompt string or messages list."""
    if isinstance(prompt, str) or not isinstance(prompt, list):
        return 1, prompt
    users = [m for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
    if not users:
        return 1, prompt[0].get("content") if prompt and isinstance(prompt[0], dict) else ""
    return len(users), users[0].get("content")


class ConversationStore:
    """Tier of each conversation's last answered turn: a bounded LRU with a TTL.

    ``max_size`` 0 keeps nothing (stickiness then never finds a previous tier). A lock
    guards the map: requests run on the event loop, but an abandoned stream logs from
    whichever thread closes it."""

    def __init__(
        self,
        max_size: int = 100_000,
        ttl_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        remote: SharedState | None = None,
    ) -> None:
        if max_size < 0 or ttl_s <= 0:
            raise ValueError(f"max_size must be >= 0 and ttl_s > 0, got {max_size}, {ttl_s}")
        self.max_size, self.ttl_s, self._clock = max_size, ttl_s, clock
        self._tiers: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.remote = remote
        self._writes: set[asyncio.Task[None]] = set()

    @staticmethod
    def _remote_key(key: tuple[str, str]) -> str:
        return "conv:" + json.dumps(key, ensure_ascii=True, separators=(",", ":"))

    async def aload(self, conversation: Conversation | None) -> None:
        """Fetch a follow-up's previous tier from the shared state into this store."""
        if self.remote is None or conversation is None or not conversation.follows_up:
            return
        from serving._state import StateError

        try:
            tier = await self.remote.get(self._remote_key(conversation.key))
        except StateError as exc:  # route without the floor rather than fail the request
            logging.getLogger("tierroute.serving").warning("conversation tier unknown: %s", exc)
            return
        if tier is not None:
            self._put_local(conversation.key, tier)

    async def flush(self) -> None:
        """Wait until the tiers remembered so far are in the shared state."""
        while self._writes:
            await asyncio.gather(*list(self._writes))

    def __len__(self) -> int:
        with self._lock:
            return len(self._tiers)

    def get(self, key: tuple[str, str]) -> str | None:
        """The tier stored for ``key`` when it has not expired (and mark it recent)."""
        now = self._clock()
        with self._lock:
            item = self._tiers.get(key)
            if item is None:
                return None
            if item[1] <= now:
                del self._tiers[key]
                return None
            self._tiers.move_to_end(key)
            return item[0]

    def put(self, key: tuple[str, str], tier: str) -> None:
        """Store ``tier`` for ``key`` (its TTL starts again); evict the least recent."""
        self._put_local(key, tier)
        if self.remote is not None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no event loop in this thread: this replica only
                return
            task = loop.create_task(self._write_remote(key, tier))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

    async def _write_remote(self, key: tuple[str, str], tier: str) -> None:
        from serving._state import StateError

        assert self.remote is not None
        try:
            await self.remote.set(self._remote_key(key), tier, self.ttl_s)
        except StateError as exc:  # the answer stands; the next turn may route afresh
            logging.getLogger("tierroute.serving").warning("conversation tier not shared: %s", exc)

    def _put_local(self, key: tuple[str, str], tier: str) -> None:
        if self.max_size == 0:
            return
        expires = self._clock() + self.ttl_s
        with self._lock:
            self._tiers[key] = (tier, expires)
            self._tiers.move_to_end(key)
            while len(self._tiers) > self.max_size:
                self._tiers.popitem(last=False)

    def stick(
        self, router: Router, decision: Decision, conversation: Conversation | None
    ) -> Decision:
        """``decision`` raised to the conversation's floor when the policy is sticky."""
        if conversation is None or not conversation.follows_up:
            return decision
        if not router.policy.conversations.sticky:
            return decision
        return sticky_decision(router, decision, self.get(conversation.key))

    def route_turn(
        self, router: Router, decision: Decision, conversation: Conversation
    ) -> Decision:
        """A turn that is only routed (``/v1/route``): stick, then keep the routed tier."""
        decision = self.stick(router, decision, conversation)
        self.remember(router.policy, conversation, decision.tier)
        return decision

    def remember(self, policy: Policy, conversation: Conversation, tier: str | None) -> None:
        """Note the tier that answered ``conversation`` (after any escalation)."""
        if tier is not None and policy.conversations.sticky:
            self.put(conversation.key, tier)
