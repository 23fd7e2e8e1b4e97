"""Rate limits per listener and per client application, by request count and by query cost.

Who: the listener the auth middleware found (the token's ``sub``), or the client's IP for
guests; and the client application named by ``apollographql-client-name`` or
``x-client-name`` (unnamed clients share one bucket). Every GraphQL request charges one unit to
both request buckets (:class:`RequestGate`), before any GraphQL work: here, or in the response
cache for an answer it serves itself (a batch of N operations, never served from the cache,
charges the other N - 1 through the ticket once the view has read it); the cost extension
later charges an executed operation's static cost to both cost buckets through the ticket the
gate leaves in the request state (a cached answer costs no execution, and is not charged its
cost). Either refusal is HTTP 429 with ``Retry-After`` and a RATE_LIMITED error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.governance.rate_limiter import (
    Charge,
    Limit,
    LocalRateLimiter,
    RateLimiter,
    retry_after_header,
)
from gateway.metrics import RATE_LIMIT_REFUSALS
from gateway.refusal import refusal
from gateway.request_state import request_state
from resolvers.clients.errors import ErrorCode

_CLIENT_NAME = re.compile(r"^[A-Za-z0-9._@/:+ -]{1,64}$")
_UNNAMED = "unnamed"


@dataclass(frozen=True, slots=True)
class RateLimits:
    listener_requests: Limit
    client_requests: Limit
    listener_cost: Limit
    client_cost: Limit


class RateLimitTicket:
    """Lets the cost extension charge this request's cost to the same listener and client."""

    def __init__(self, limiter: RateLimiter, limits: RateLimits, who: str, client: str) -> None:
        self._limiter = limiter
        self._limits = limits
        self._who = who
        self._client = client

    async def charge_requests(self, count: int) -> float:
        if count <= 0:
            return 0.0
        return await self._limiter.acquire(
            [
                Charge(f"req:{self._who}", self._limits.listener_requests, count),
                Charge(f"req:{self._client}", self._limits.client_requests, count),
            ]
        )

    async def charge_cost(self, cost: int) -> float:
        if cost <= 0:
            return 0.0
        return await self._limiter.acquire(
            [
                Charge(f"cost:{self._who}", self._limits.listener_cost, cost),
                Charge(f"cost:{self._client}", self._limits.client_cost, cost),
            ]
        )


def _raw_client_name(headers: list[tuple[bytes, bytes]]) -> bytes:
    # The client's name as sent, for the gate's memo: one pass, no dict built per request.
    raw = b""
    for key, value in headers:
        if key == b"apollographql-client-name":
            return value
        if key == b"x-client-name" and not raw:
            raw = value
    return raw


def client_name(headers: Mapping[bytes, bytes]) -> str:
    raw = headers.get(b"apollographql-client-name") or headers.get(b"x-client-name")
    if not raw:
        return _UNNAMED
    name = raw.decode("latin-1").strip()
    # Free text from the client becomes a storage key: keep it short and plain.
    return name if _CLIENT_NAME.match(name) else "invalid"


def client_version(headers: Mapping[bytes, bytes]) -> str:
    """``apollographql-client-version``, sanitised like the name; "" when absent."""
    raw = headers.get(b"apollographql-client-version")
    if not raw:
        return ""
    version = raw.decode("latin-1").strip()
    return version if _CLIENT_NAME.match(version) else "invalid"


def _who(scope: Scope) -> str:
    viewer = request_state(scope).viewer
    if viewer is not None:
        return f"listener:{viewer.handle}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


def _refusal(wait_s: float, what: str) -> Response:
    retry_after = retry_after_header(wait_s)
    return refusal(
        ErrorCode.RATE_LIMITED,
        f"Too many {what}: retry in {retry_after} s.",
        headers={"retry-after": retry_after},
        retryAfter=int(retry_after),
    )


_Charges = tuple[str, str, list[Charge]]
_MEMO_SIZE = 10_000


class RequestGate:
    """Charges one request to its listener's (guest: IP's) and client's request buckets."""

    def __init__(self, limiter: RateLimiter, limits: RateLimits) -> None:
        self.limiter = limiter
        self.limits = limits
        # A local limiter's charge, called without a coroutine (None: it needs its awaits).
        self._charge: Callable[[Sequence[Charge]], float] | None = (
            limiter.charge if isinstance(limiter, LocalRateLimiter) else None
        )
        # The bucket names and charges of a (listener or IP, client name) pair, built once:
        # a few µs a request, on the cache-hit path.
        self._charges: dict[tuple[object, bytes], _Charges] = {}

    def _charges_of(self, scope: Scope) -> _Charges:
        viewer = request_state(scope).viewer
        raw_client = _raw_client_name(scope["headers"])
        memo = (viewer if viewer is not None else scope.get("client"), raw_client)
        found = self._charges.get(memo)
        if found is None:
            who = _who(scope)
            client = f"client:{client_name(dict(scope['headers']))}"
            charges = [
                Charge(f"req:{who}", self.limits.listener_requests),
                Charge(f"req:{client}", self.limits.client_requests),
            ]
            found = (who, client, charges)
            if len(self._charges) >= _MEMO_SIZE:
                del self._charges[next(iter(self._charges))]
            self._charges[memo] = found
        return found

    @property
    def local(self) -> bool:
        """Whether :meth:`admit_now` decides (the limiter needs no I/O)."""
        return self._charge is not None

    def admit_now(self, scope: Scope, *, executes: bool = True) -> Response | None:
        """:meth:`admit` without a coroutine, for a :attr:`local` limiter."""
        assert self._charge is not None, "admit_now needs a local limiter"
        who, client, charges = self._charges_of(scope)
        return self._admitted(scope, self._charge(charges), who, client, executes)

    async def admit(self, scope: Scope, *, executes: bool = True) -> Response | None:
        """None when allowed (with a ticket for the cost when it ``executes``), else the 429."""
        who, client, charges = self._charges_of(scope)
        if self._charge is not None:
            wait = self._charge(charges)
        else:
            wait = await self.limiter.acquire(charges)
        return self._admitted(scope, wait, who, client, executes)

    def _admitted(
        self, scope: Scope, wait: float, who: str, client: str, executes: bool
    ) -> Response | None:
        if wait > 0:
            RATE_LIMIT_REFUSALS.labels(limit="requests").inc()
            return _refusal(wait, "requests")
        if executes:
            ticket = RateLimitTicket(self.limiter, self.limits, who, client)
            request_state(scope).cost_charge = ticket
        return None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, gate: RequestGate, path: str = "/graphql") -> None:
        self.app = app
        self.gate = gate
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        refused = await self.gate.admit(scope)
        if refused is not None:
            await refused(scope, receive, send)
            return
        state = request_state(scope)

        async def send_429_if_cost_refused(message: Message) -> None:
            retry_after = state.retry_after
            if message["type"] == "http.response.start" and retry_after is not None:
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ]
                headers.append((b"retry-after", str(retry_after).encode()))
                message = {**message, "status": 429, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_429_if_cost_refused)
