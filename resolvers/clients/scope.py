"""What one GraphQL request allows its backend calls, and what they report back.

The clients are process-wide and never see the request's ``Context``, so the request's
deadline travels in a context variable: the view opens a :class:`CallScope` around each HTTP
request, and every task the request spawns (DataLoader batches, ``asyncio.gather`` children)
inherits it. Calls outside a request (start-up, scripts) run without a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(slots=True)
class CallScope:
    """The request's absolute deadline (``time.monotonic()``) and the services served stale."""

    expires_at: float | None = None
    stale: set[str] = field(default_factory=set)

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative), or None without a deadline."""
        if self.expires_at is None:
            return None
        return max(0.0, self.expires_at - time.monotonic())


_SCOPE: ContextVar[CallScope | None] = ContextVar("crossfade_call_scope", default=None)


def current_scope() -> CallScope | None:
    return _SCOPE.get()


@contextmanager
def call_scope(deadline_s: float | None) -> Iterator[CallScope]:
    """Open a scope whose deadline is ``deadline_s`` from now (None: no deadline)."""
    expires_at = None if deadline_s is None else time.monotonic() + deadline_s
    scope = CallScope(expires_at=expires_at)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        # Reset, not leave set: in-process callers (tests, ASGITransport) share the task.
        _SCOPE.reset(token)
