"""The replica's subscription to the other replicas' version bumps (Redis pub/sub).

A small asyncio protocol rather than redis-py's ``PubSub``: a bump is applied inside
``data_received``, the moment the event loop reads it off the socket, with no task switch.
A writer publishes before it answers, so the bump is already in every subscriber's socket
when its client can send the next request; the loop reads ready sockets before it runs the
task that handles that request, so a replica never serves an answer its bump invalidated.

``live`` is true while subscribed; ``epoch`` changes whenever that is lost or made again. A
lost connection (Redis gone, a reset, or no PONG within ``ping_s``) clears ``live`` at once;
the owner then drops the entries that relied on it. Reconnects back off up to 2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from typing import Any, cast

from prometheus_client import Gauge
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection, parse_url

log = logging.getLogger("crossfade.cache")
SUBSCRIBED = Gauge(
    "crossfade_response_cache_subscribed",
    "1 while subscribed to the other replicas' invalidations (private entries served).",
)

_INCOMPLETE = object()


class RespError(Exception):
    pass


def _parse(buf: bytearray, pos: int) -> tuple[Any, int]:
    """One RESP2 value at ``pos`` and the position after it; ``_INCOMPLETE`` if cut short."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return _INCOMPLETE, pos
    kind, line = buf[pos], bytes(buf[pos + 1 : end])
    after = end + 2
    if kind == ord("+"):
        return line, after
    if kind == ord("-"):
        return RespError(line.decode(errors="replace")), after
    if kind == ord(":"):
        return int(line), after
    if kind == ord("$"):
        size = int(line)
        if size < 0:
            return None, after
        if len(buf) < after + size + 2:
            return _INCOMPLETE, pos
        return bytes(buf[after : after + size]), after + size + 2
    if kind == ord("*"):
        items = []
        for _ in range(max(int(line), 0)):
            item, after = _parse(buf, after)
            if item is _INCOMPLETE:
                return _INCOMPLETE, pos
            items.append(item)
        return items, after
    raise RespError(f"unexpected RESP type {chr(kind)!r}")


def command(*parts: str | bytes) -> bytes:
    encoded = [p.encode() if isinstance(p, str) else p for p in parts]
    return b"".join(
        [f"*{len(encoded)}\r\n".encode()] + [b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded]
    )


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: Subscription, lost: asyncio.Future[None]) -> None:
        self.owner = owner
        self.lost = lost
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        pos = 0
        try:
            while pos < len(self.buffer):
                value, after = _parse(self.buffer, pos)
                if value is _INCOMPLETE:
                    break
                pos = after
                self.owner.received(value)
        except (RespError, ValueError) as exc:
            log.warning("invalidation subscription: %s", exc)
            if self.transport is not None:
                self.transport.abort()
        del self.buffer[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.disconnected()
        if not self.lost.done():
            self.lost.set_result(None)


class Subscription:
    def __init__(
        self,
        url: str,
        channel: str,
        *,
        on_message: Callable[[bytes], None],
        on_live: Callable[[], None],
        on_lost: Callable[[], None],
        ping_s: float,
        timeout_s: float,
    ) -> None:
        self.channel = channel.encode()
        self.live = False
        self.epoch = 0
        self._options = parse_url(url)
        self._on_message = on_message
        self._on_live = on_live
        self._on_lost = on_lost
        self._ping_s = ping_s
        self._timeout_s = timeout_s
        self._awaiting_pong = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # Called by the protocol, inside the event loop's read of the socket.
    def received(self, value: Any) -> None:
        if isinstance(value, RespError):
            raise value
        if not isinstance(value, list) or not value:
            return  # +OK for AUTH
        kind = value[0]
        if kind == b"message" and len(value) == 3 and value[1] == self.channel:
            self._on_message(value[2])
        elif kind == b"subscribe":
            self.live = True
            self.epoch += 1
            SUBSCRIBED.set(1)
            log.info("invalidation subscription live", extra={"fields": {"epoch": self.epoch}})
            self._on_live()
        elif kind == b"pong":
            self._awaiting_pong = False

    def disconnected(self) -> None:
        self.epoch += 1
        if self.live:
            self.live = False
            SUBSCRIBED.set(0)
            log.warning("invalidation subscription lost", extra={"fields": {"epoch": self.epoch}})
            self._on_lost()

    async def _run(self) -> None:
        backoff = 0.05
        while True:
            try:
                await self._session()
                backoff = 0.05
            except (OSError, TimeoutError, RespError) as exc:
                log.warning("invalidation subscription failed: %s", exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    async def _session(self) -> None:
        loop = asyncio.get_running_loop()
        lost: asyncio.Future[None] = loop.create_future()
        protocol = _Protocol(self, lost)
        options = self._options
        async with asyncio.timeout(self._timeout_s):
            if options.get("connection_class") is UnixDomainSocketConnection:
                transport, _ = await loop.create_unix_connection(lambda: protocol, options["path"])
            else:
                context = (
                    ssl.create_default_context()
                    if options.get("connection_class") is SSLConnection
                    else None
                )
                transport, _ = await loop.create_connection(
                    lambda: protocol,
                    options.get("host", "localhost"),
                    options.get("port", 6379),
                    ssl=context,
                )
        try:
            if options.get("password"):
                user = options.get("username")
                auth = (
                    ("AUTH", user, options["password"]) if user else ("AUTH", options["password"])
                )
                transport.write(command(*auth))
            transport.write(command("SUBSCRIBE", self.channel))
            self._awaiting_pong = False
            while not lost.done():
                await asyncio.wait([lost], timeout=self._ping_s)
                if lost.done():
                    break
                if self._awaiting_pong:
                    log.warning("invalidation subscription: no PONG in %.1fs", self._ping_s)
                    transport.abort()
                    break
                self._awaiting_pong = True
                transport.write(command("PING"))
            await lost
        finally:
            transport.abort()
