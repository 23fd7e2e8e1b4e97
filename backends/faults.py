"""Fault injection for tests and the soak bench: latency, errors and garbled answers.

Off unless configured (``crossfade backend NAME --inject-…`` or ``CROSSFADE_INJECT_*`` /
``CROSSFADE_<NAME>_INJECT_*``). Faults hit the data API only: ``/healthz`` stays truthful
about the process, so orchestration (and the tests) can still start and probe a backend that
is set to fail every call. Injected errors and garbled answers replace the call: a write they
hit is not applied. Latency sits behind ``DeadlineMiddleware``, so it never sleeps past the
caller's budget.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from backends.http import error_response

# A 200 whose body stops mid-document, as a proxy cutting a connection would leave it.
MALFORMED_BODY = b'{"injected": "malformed", "items": [{"id": 1, "na'


@dataclass(frozen=True, slots=True)
class Faults:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    malformed_rate: float = 0.0
    seed: int | None = None

    @property
    def active(self) -> bool:
        return self.latency_ms > 0 or self.error_rate > 0 or self.malformed_rate > 0


class FaultInjectionMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults
        self._rng = random.Random(faults.seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        faults = self.faults
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        roll = self._rng.random()
        if roll < faults.error_rate:
            response = error_response(
                503, "INJECTED_FAULT", "fault injected by --inject-error-rate"
            )
            await response(scope, receive, send)
        elif roll < faults.error_rate + faults.malformed_rate:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": MALFORMED_BODY})
        else:
            await self.app(scope, receive, send)
