"""The response cache in front of execution: a hit is answered here, before the body reaches
Strawberry; a miss runs the request and keeps the encoded answer with its footprint.

It sits after authentication and rate limits (the key needs the viewer; hits are charged
like any request) and before admission control, so hits never queue behind executions.

The key is the operation (document and operation name), the canonical variables and the
viewer scope: everyone for a PUBLIC policy, else the listener, or all guests together. The
versions of the data the answer read are checked on every hit (``store.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.cache.documents import Operation
from gateway.cache.policy import Scope as CacheScope
from gateway.cache.request import CacheRequest, from_body, from_query_string
from gateway.cache.response_cache import ResponseCache
from gateway.cache.store import Entry
from gateway.middleware.csrf import essence
from gateway.request_state import request_state
from resolvers.clients.footprint import LISTENER, Footprint, footprint
from resolvers.clients.viewer import Viewer

_JSON = [(b"content-type", b"application/json")]
_MISS = (b"x-cache", b"miss")
_HIT = (b"x-cache", b"hit")
_NO_STORE = (b"cache-control", b"no-store")
_VARY = (b"vary", b"Authorization")


@dataclass(frozen=True, slots=True)
class _Plan:
    """A cacheable query: where its answer goes, and who asked."""

    key: Hashable
    operation: Operation
    viewer: Viewer | None

    @property
    def personal(self) -> bool:
        """A listener's private answer (guests' answers are the same for every guest)."""
        return self.viewer is not None and self.operation.policy.scope == CacheScope.PRIVATE


def _cache_control(plan: _Plan, max_age: int) -> tuple[bytes, bytes]:
    who = "private" if plan.personal else "public"
    return (b"cache-control", f"{who}, max-age={max_age}".encode())


def _json_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-type":
            return essence(value) == "application/json"
    return False


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client left
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class ResponseCacheMiddleware:
    def __init__(self, app: ASGIApp, cache: ResponseCache, path: str = "/graphql") -> None:
        self.app = app
        self.cache = cache
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        self.cache.start()
        request: CacheRequest | None = None
        if scope["method"] == "POST" and _json_body(scope["headers"]):
            body = await _read_body(receive)
            if body is None:
                return
            receive = _replay(body, receive)
            request = from_body(body)
        elif scope["method"] == "GET" and scope["query_string"]:
            request = from_query_string(scope["query_string"])
        operation = await self.cache.operation(request) if request is not None else None
        if request is None or operation is None:
            await self._run(scope, receive, send, None, headers=False)
            return
        if not operation.policy.cacheable:
            await self._run(scope, receive, send, None, headers=True)
            return
        viewer = request_state(scope).viewer
        who: object = "*"
        if operation.policy.scope == CacheScope.PRIVATE:
            who = viewer.user_id if viewer is not None else "guest"
        plan = _Plan((operation.id, request.variables, who), operation, viewer)
        # A registration (hash and text) is checked by the view; its answer is kept for the
        # hash-only requests that follow.
        if request.query is None or request.sha256 is None:
            entry = self.cache.store.get(plan.key)
            if entry is not None:
                await self._hit(entry, send)
                return
        operation.misses.inc()
        await self._run(scope, receive, send, plan, headers=True)

    async def _hit(self, entry: Entry, send: Send) -> None:
        entry.operation.hits.inc()
        age = int(self.cache.store.clock() - entry.stored_at)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*entry.headers, (b"age", str(age).encode())],
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
                    await cache.invalidation.written(found.writes)
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
                    await cache.invalidation.written(found.writes)

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
        deps = set(found.reads)
        if plan.personal:
            assert plan.viewer is not None
            deps.add((LISTENER, plan.viewer.user_id))
        dependent = bool(deps)
        link = cache.link
        if dependent and not (live and link.live and link.epoch == epoch):
            return None  # bumps from other replicas may have been missed meanwhile
        frozen = tuple(deps)
        if not cache.versions.unchanged(frozen, clock):
            return None  # a write landed while this ran: the answer may predate it
        entry_headers = [
            *_JSON,
            (b"content-length", str(len(body)).encode()),
            _cache_control(plan, max_age),
            _HIT,
        ]
        if plan.operation.policy.scope == CacheScope.PRIVATE:
            entry_headers.append(_VARY)
        return Entry(
            body=body,
            headers=entry_headers,
            stored_at=started,
            expires_at=started + max_age,
            deps=frozen,
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
        if plan is not None and plan.operation.policy.scope == CacheScope.PRIVATE:
            headers.append(_VARY)
        return {**start, "headers": headers}
