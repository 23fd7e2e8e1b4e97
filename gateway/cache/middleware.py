"""The response cache in front of execution: a hit is answered here, before the body reaches
Strawberry; a miss runs the request and keeps the encoded answer with its footprint.

It sits after authentication (the key needs the viewer) and before the rate-limit middleware
and admission control: a hit is charged to the request buckets here, through the same gate,
and never queues behind executions.

The key is the operation (document and operation name), the canonical variables and the
viewer scope: everyone for a PUBLIC policy, else the listener, or all guests together. The
versions of the data the answer read are checked on every hit (``store.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.cache.body import json_body, read_rest, replay
from gateway.cache.documents import HIT, MISS, Operation
from gateway.cache.policy import Scope as CacheScope
from gateway.cache.response_cache import UNSEEN, Parsed, ResponseCache
from gateway.cache.store import Entry
from gateway.governance.rate_limit_middleware import RequestGate
from gateway.request_state import request_state
from resolvers.clients.footprint import Footprint, footprint
from resolvers.clients.viewer import Viewer

_JSON = [(b"content-type", b"application/json")]
_MISS = (b"x-cache", b"miss")
_HIT = (b"x-cache", b"hit")
_NO_STORE = (b"cache-control", b"no-store")
_VARY = (b"vary", b"Authorization")

# With tracing on: a context manager around a hit's answer (its span), given the request and
# the operation's name as the document gives it (gateway/tracing.py, Tracing.cache_hit).
HitTracer = Callable[[Scope, str | None], AbstractContextManager[object]]


class _Plan:
    """A cacheable query: where its answer goes, and who asked."""

    __slots__ = ("key", "operation", "personal", "private")

    def __init__(self, key: Hashable, operation: Operation, viewer: Viewer | None) -> None:
        self.key = key
        self.operation = operation
        self.private = operation.policy.scope == CacheScope.PRIVATE
        # A listener's own answer (guests' answers are the same for every guest).
        self.personal: Viewer | None = viewer if self.private else None


def _cache_control(plan: _Plan, max_age: int) -> tuple[bytes, bytes]:
    who = "private" if plan.personal is not None else "public"
    return (b"cache-control", f"{who}, max-age={max_age}".encode())


class ResponseCacheMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        cache: ResponseCache,
        gate: RequestGate | None = None,
        path: str = "/graphql",
        traced: HitTracer | None = None,
    ) -> None:
        self.app = app
        self.cache = cache
        self.gate = gate
        self.path = path
        self.traced = traced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        cache = self.cache
        if not cache.started:
            cache.start()
        # Written for the hit path: no helper coroutines, memoised parse.
        method = scope["method"]
        parsed: object = None
        body: bytes | None = None
        if method == "POST" and json_body(scope["headers"]):
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left
            body = message.get("body", b"")
            if message.get("more_body", False):
                rest = await read_rest(receive)
                if rest is None:
                    return
                body += rest
            parsed = cache.parsed(body, get=False)
            if parsed is UNSEEN:
                parsed = await cache.parse(body, get=False)
        elif method == "GET" and scope["query_string"]:
            parsed = cache.parsed(scope["query_string"], get=True)
            if parsed is UNSEEN:
                parsed = await cache.parse(scope["query_string"], get=True)
        operation = parsed.operation if isinstance(parsed, Parsed) else None
        key: Hashable = None
        viewer = None
        if isinstance(parsed, Parsed):
            viewer = request_state(scope).viewer
            key = cache.key(parsed, viewer)
            entry = cache.store.get(key) if key is not None and parsed.lookup else None
            if entry is not None:
                refused = await self.gate.admit(scope, executes=False) if self.gate else None
                if refused is not None:
                    await refused(scope, receive, send)
                    return
                parsed.operation.counts[HIT] += 1
                if self.traced is not None:
                    with self.traced(scope, parsed.operation.given):
                        await self._hit(entry, send)
                    return
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": cache.hit_headers(entry),
                    }
                )
                await send({"type": "http.response.body", "body": entry.body})
                return
        if body is not None:
            receive = replay(body, receive)  # the view reads it again, below
        if operation is None:
            await self._run(scope, receive, send, None, headers=False)
        elif key is None:
            await self._run(scope, receive, send, None, headers=True)
        else:
            operation.counts[MISS] += 1
            await self._run(scope, receive, send, _Plan(key, operation, viewer), headers=True)

    async def _hit(self, entry: Entry, send: Send) -> None:
        """A hit's answer, as the untraced path above sends it inline."""
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": self.cache.hit_headers(entry),
            }
        )
        await send({"type": "http.response.body", "body": entry.body})

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, plan: _Plan | None, *, headers: bool
    ) -> None:
        """Execute, apply the request's writes before its answer leaves, keep the answer."""
        cache = self.cache
        clock, epoch, live = cache.versions.clock, cache.link.epoch, cache.link.live
        started = cache.store.clock()
        held: Message | None = None
        chunks: list[bytes] = []
        applied = False
        with footprint() as found:

            async def capture(message: Message) -> None:
                nonlocal held, applied
                if message["type"] == "http.response.start":
                    held = message  # its headers wait for the body
                    return
                if message["type"] != "http.response.body" or held is None:
                    await send(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                if found.writes:
                    applied = True
                    await self._written(found)
                entry = None
                if plan is not None:
                    entry = self._entry(plan, held, body, found, started, clock, epoch, live)
                if headers:
                    held = self._decorate(held, plan, entry)
                await send(held)
                await send({"type": "http.response.body", "body": body})
                if plan is not None and entry is not None:
                    cache.store.put(plan.key, entry)

            try:
                await self.app(scope, receive, capture)
            finally:
                if found.writes and not applied:
                    await self._written(found)

    async def _written(self, found: Footprint) -> None:
        await self.cache.invalidation.written(found.writes)
        if found.uncertain:
            # A write whose answer never came may still commit: bump again once it must
            # have, so an answer read in between does not outlive it.
            self.cache.invalidation.written_later(found.uncertain)

    def _entry(
        self,
        plan: _Plan,
        start: Message,
        body: bytes,
        found: Footprint,
        started: float,
        clock: int,
        epoch: int,
        live: bool,
    ) -> Entry | None:
        """The entry to keep, or None when this answer must not be served again."""
        cache = self.cache
        if start["status"] != 200 or not found.reusable or b'"errors":' in body:
            return None
        max_age = plan.operation.policy.max_age
        if found.fresh_until is not None:
            max_age = min(max_age, math.floor(found.fresh_until - time.time()))
        if max_age <= 0:
            return None
        deps = tuple(found.reads)
        # A listener's own answer relies on hearing of their writes elsewhere even when it
        # read nothing versioned; a public one only when it did.
        dependent = bool(deps) or plan.personal is not None
        link = cache.link
        if dependent and not (live and link.live and link.epoch == epoch):
            return None  # bumps from other replicas may have been missed meanwhile
        if not cache.versions.unchanged(deps, clock):
            return None  # a write landed while this ran: the answer may predate it
        entry_headers = [
            *_JSON,
            (b"content-length", str(len(body)).encode()),
            _cache_control(plan, max_age),
            _HIT,
        ]
        if plan.private:
            entry_headers.append(_VARY)
        return Entry(
            body=body,
            headers=entry_headers,
            stored_at=started,
            expires_at=started + max_age,
            deps=deps,
            clock=clock,
            epoch=epoch if dependent else None,
            operation=plan.operation,
        )

    @staticmethod
    def _decorate(start: Message, plan: _Plan | None, entry: Entry | None) -> Message:
        headers = [
            (k, v) for k, v in start.get("headers", []) if k not in (b"cache-control", b"vary")
        ]
        headers.append(_MISS)
        if entry is not None and plan is not None:
            headers.append(_cache_control(plan, round(entry.expires_at - entry.stored_at)))
        else:
            headers.append(_NO_STORE)
        if plan is not None and plan.private:
            headers.append(_VARY)
        return {**start, "headers": headers}
