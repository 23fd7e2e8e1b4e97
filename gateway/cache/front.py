"""The response cache's front door: a hit answered before the middleware stack.

Most repeats are a listener (or a guest) sending byte-identical requests from an app: no
``Origin``, a bearer token verified seconds ago, a JSON body or a persisted-query GET already
parsed. For those, this layer (right inside Starlette's error handler, outside the request-ID,
CORS, body-limit, CSRF, authentication, response-cache, rate-limit and admission layers) does
what that stack would do for a hit, in one function:

- the request ID (the caller's when sane), echoed in ``x-request-id`` and logged;
- ``Vary: Origin``, as the CORS layer answers requests without ``Origin``;
- the body limit (a declared ``Content-Length`` within it) and CSRF (a JSON body, or a GET);
- the viewer from the token cache (a token it has not verified is the stack's job);
- the cache lookup, the charge to the request buckets, and the access line.

Anything else (a miss, a browser's cross-origin request, a token to verify, a chunked or big
body, a 429) goes down the stack, the body handed on unread. The answer is the same bytes
either way (``tests/cache/test_front.py`` compares the two, header by header); the stack
alone is ``CROSSFADE_RESPONSE_CACHE_FRONT=false``.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.authenticator import UNKNOWN, Authenticator
from gateway.cache.body import is_json, read_rest, replay
from gateway.cache.documents import HIT
from gateway.cache.middleware import HitTracer
from gateway.cache.response_cache import Parsed, ResponseCache
from gateway.governance.rate_limit_middleware import RequestGate
from gateway.logs import access, request_id
from gateway.middleware.cors import VARY_ORIGIN
from gateway.middleware.request_id import assign
from gateway.request_state import request_state


class CacheFront:
    def __init__(
        self,
        app: ASGIApp,
        cache: ResponseCache,
        authenticator: Authenticator,
        max_body_bytes: int,
        gate: RequestGate | None = None,
        path: str = "/graphql",
        traced: HitTracer | None = None,
    ) -> None:
        self.app = app
        self.cache = cache
        self.authenticator = authenticator
        self.max_body_bytes = max_body_bytes
        self.gate = gate
        self.path = path
        self.traced = traced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or not self.cache.started:
            await self.app(scope, receive, send)
            return
        # One pass over the headers: whatever makes this request the stack's, and the token.
        authorization: bytes | None = None
        content_type: bytes | None = None
        declared = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                if authorization is not None:
                    await self.app(scope, receive, send)  # two: the stack refuses them
                    return
                authorization = value
            elif name == b"content-length":
                declared = value
            elif name == b"content-type":
                content_type = value
            elif name in (b"origin", b"transfer-encoding", b"expect"):
                await self.app(scope, receive, send)
                return
        method = scope["method"]
        cache = self.cache
        if method == "POST":
            if not (declared.isdigit() and int(declared) <= self.max_body_bytes):
                await self.app(scope, receive, send)
                return
            if not is_json(content_type):
                await self.app(scope, receive, send)  # CSRF's to refuse, or not JSON
                return
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left
            raw: bytes = message.get("body", b"")
            if message.get("more_body", False):
                # Bounded: the server delivers no more than the declared length.
                rest = await read_rest(receive)
                if rest is None:
                    return
                raw += rest
            receive = replay(raw, receive)
            parsed = cache.parsed(raw, get=False)
        elif method == "GET" and scope["query_string"]:
            parsed = cache.parsed(scope["query_string"], get=True)
        else:
            await self.app(scope, receive, send)
            return
        viewer = self.authenticator.remembered(authorization)
        if not isinstance(parsed, Parsed) or viewer is UNKNOWN:  # unseen, or the view's
            await self.app(scope, receive, send)
            return
        key = cache.key(parsed, viewer) if parsed.lookup else None
        entry = cache.store.get(key) if key is not None else None
        if entry is None:
            await self.app(scope, receive, send)
            return
        rid = assign(scope)
        state = request_state(scope)
        state.request_id = rid
        state.viewer = viewer
        gate = self.gate
        refused = None
        if gate is not None:
            if gate.local:
                refused = gate.admit_now(scope, executes=False)
            else:
                refused = await gate.admit(scope, executes=False)
        if refused is not None:
            # A refusal takes nothing from the buckets: the stack asks again and answers 429.
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        token = request_id.set(rid)
        try:
            parsed.operation.counts[HIT] += 1
            # In the order the stack's layers add them: cache, CORS, request ID.
            headers = cache.hit_headers(entry)
            headers += (VARY_ORIGIN, (b"x-request-id", rid.encode()))
            start = {"type": "http.response.start", "status": 200, "headers": headers}
            if self.traced is not None:
                with self.traced(scope, parsed.operation.given):
                    await send(start)
                    await send({"type": "http.response.body", "body": entry.body})
            else:
                await send(start)
                await send({"type": "http.response.body", "body": entry.body})
        finally:
            access(method, scope["path"], 200, round((time.perf_counter() - started) * 1000, 2))
            request_id.reset(token)
