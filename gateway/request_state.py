"""What the ASGI layers learn about one request, for the layers after them: one typed object.

Starlette's ``scope["state"]`` is a plain dict every layer shares. Crossfade keeps exactly one
entry in it, a :class:`RequestState`, so the middleware (request ID, authentication, rate
limits), the GraphQL view and the operation extensions agree on names and types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from starlette.types import Scope

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context

_KEY = "crossfade"


class CostCharge(Protocol):
    """Charges an operation's static cost to the buckets the request was admitted under."""

    async def charge_cost(self, cost: int) -> float:
        """0.0 when allowed, else the seconds until it would be."""
        ...

    async def charge_requests(self, count: int) -> float:
        """Charges ``count`` more requests (a batch's further operations), all or none; 0.0
        when allowed, else the seconds until it would be."""
        ...


@dataclass(slots=True)
class RequestState:
    request_id: str = "-"
    # None: a guest (no bearer token).
    viewer: Viewer | None = None
    # Left by the rate-limit middleware for the cost extension; None when limits are off.
    cost_charge: CostCharge | None = None
    # Set when the cost extension refuses the operation's cost: the middleware answers 429.
    retry_after: str | None = None
    # The GraphQL context, once the view built it (for its response extensions).
    context: Context | None = None
    # With tracing on: the trace this request belongs to (32 hex digits), the caller's when it
    # sent a `traceparent`; answered in `x-trace-id` and in error extensions.
    trace_id: str | None = None


def request_state(scope: Scope) -> RequestState:
    """This request's state, created on first use."""
    state: dict[str, Any] = scope.setdefault("state", {})
    found: RequestState | None = state.get(_KEY)
    if found is None:
        found = state[_KEY] = RequestState()
    return found
