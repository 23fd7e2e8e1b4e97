"""Applying a request's writes: bump the versions here, then tell the other replicas.

Without Redis there is one replica and the local bump is all. With ``CROSSFADE_REDIS_URL``
the bump is published on one channel before the write's response is sent, and every replica
applies the others' bumps as they arrive (``subscription.py``). The hit path never talks to
Redis: it only reads the local versions.

A bump this replica cannot publish (Redis unreachable from here) is kept and published once
the subscription is back; past ``_MAX_PENDING`` entities a "flush" is sent instead, which
makes every replica drop all its versioned entries.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from gateway.cache.subscription import Subscription
from gateway.cache.versions import Versions
from resolvers.clients.footprint import Entity

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("crossfade.cache")

CHANNEL = "crossfade:cache:bumps"
_FLUSH = "*"
_MAX_PENDING = 10_000


class LocalLink:
    """One replica alone: nothing to subscribe to, nothing is ever missed."""

    live = True
    epoch = 0


def encode(origin: str, entities: Iterable[Entity] | None) -> bytes:
    """``origin listener:7 playlist:42``; ``origin *`` asks for a flush."""
    if entities is None:
        return f"{origin} {_FLUSH}".encode()
    return " ".join([origin, *(f"{kind}:{key}" for kind, key in sorted(entities))]).encode()


def decode(payload: bytes) -> tuple[str, list[Entity] | None]:
    """The origin and the entities; None (flush everything) for anything not understood."""
    origin, *tokens = payload.decode(errors="replace").split()
    entities: list[Entity] = []
    for token in tokens:
        kind, _, key = token.partition(":")
        if token == _FLUSH or not kind or not key.isdigit():
            return origin, None
        entities.append((kind, int(key)))
    return origin, entities


class Invalidation:
    def __init__(
        self,
        versions: Versions,
        *,
        redis: Redis | None = None,
        url: str | None = None,
        on_lost: Callable[[], None] = lambda: None,
        ping_s: float = 1.0,
        timeout_s: float = 0.5,
        settle_s: float = 5.0,
        channel: str = CHANNEL,
    ) -> None:
        self.versions = versions
        self.settle_s = settle_s
        self.origin = secrets.token_hex(8)
        self.channel = channel
        self._redis = redis
        self.on_lost = on_lost
        self._pending: set[Entity] = set()
        self._flush_pending = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.link: LocalLink | Subscription = LocalLink()
        self.subscription: Subscription | None = None
        if redis is not None and url is not None:
            self.subscription = Subscription(
                url,
                channel,
                on_message=self._received,
                on_live=self._live,
                on_lost=lambda: self.on_lost(),
                ping_s=ping_s,
                timeout_s=timeout_s,
            )
            self.link = self.subscription

    def start(self) -> None:
        """Subscribe (idempotent); needs the running event loop."""
        if self.subscription is not None:
            self.subscription.start()

    async def aclose(self) -> None:
        if self.subscription is not None:
            await self.subscription.aclose()

    async def written(self, entities: set[Entity]) -> None:
        """Bump ``entities`` here at once, then publish the bump (awaited: before the writer's
        response goes out, the other replicas have it in their sockets)."""
        self.versions.bump(entities)
        if self._redis is None:
            return
        if not self.link.live:
            self._keep(entities)  # published when the subscription is back
            return
        try:
            await self._redis.publish(self.channel, encode(self.origin, entities))
        except Exception as exc:  # redis.RedisError, OSError, timeouts
            log.warning("invalidation not published, kept for later: %s", exc)
            self._keep(entities)

    def written_later(self, entities: set[Entity]) -> None:
        """Bump ``entities`` again after ``settle_s`` (writes of unknown outcome)."""
        loop = asyncio.get_running_loop()

        def bump() -> None:
            task = loop.create_task(self.written(set(entities)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        loop.call_later(self.settle_s, bump)

    def _keep(self, entities: set[Entity]) -> None:
        self._pending |= entities
        if len(self._pending) > _MAX_PENDING:
            self._pending.clear()
            self._flush_pending = True

    def _received(self, payload: bytes) -> None:
        origin, entities = decode(payload)
        if origin == self.origin:
            return  # bumped locally before it was published
        if entities is None:
            self.versions.bump_all()
        else:
            self.versions.bump(entities)

    def _live(self) -> None:
        if self._pending or self._flush_pending:
            task = asyncio.get_running_loop().create_task(self._publish_pending())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _publish_pending(self) -> None:
        assert self._redis is not None
        pending, flush = self._pending, self._flush_pending
        self._pending, self._flush_pending = set(), False
        try:
            await self._redis.publish(self.channel, encode(self.origin, None if flush else pending))
        except Exception as exc:
            log.warning("pending invalidations not published: %s", exc)
            if flush:
                self._flush_pending = True
            self._keep(pending)
