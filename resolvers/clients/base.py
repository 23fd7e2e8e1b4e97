"""The one HTTP client every backend client is built on.

Same code in both deployments: the ``httpx.AsyncClient`` it wraps talks either to an
in-process ASGI app (``httpx.ASGITransport``) or to a real URL. It counts every call, maps
transport failures to ``BACKEND_*`` errors naming the service, and maps the backends' typed
error bodies to the API's error codes.

Each call is bounded by the backend's timeout and the request's remaining deadline (sent to
the backend in ``x-crossfade-deadline-ms``), goes through the backend's circuit breaker, and
is retried only when it is a read and the retry policy allows (``retry.py``).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import orjson

from resolvers.clients.breaker import CircuitBreaker
from resolvers.clients.errors import (
    BackendError,
    BackendTimeout,
    BackendUnavailable,
    BadUserInput,
    Conflict,
    CrossfadeError,
    Forbidden,
    NotFound,
)
from resolvers.clients.policy import CallPolicy
from resolvers.clients.retry import BACKEND_RETRIES, RETRIES_REFUSED, Backoff, RetryBudget
from resolvers.clients.scope import CallScope, current_scope
from resolvers.clients.telemetry import BACKEND_LATENCY, BACKEND_REQUESTS

if TYPE_CHECKING:
    from opentelemetry.trace.span import Span

    from resolvers.clients.spans import Spans

DEADLINE_HEADER = "x-crossfade-deadline-ms"

_STATUS_ERRORS: dict[int, type[CrossfadeError]] = {
    400: BadUserInput,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: BadUserInput,
}


class _Retryable(Exception):
    """An attempt failed in a way another attempt may not (the error to raise otherwise)."""

    def __init__(self, error: BackendError) -> None:
        super().__init__(error.message)
        self.error = error


class BackendClient:
    """JSON calls to one backend through a shared, pooled ``httpx.AsyncClient``."""

    def __init__(
        self,
        name: str,
        http: httpx.AsyncClient,
        policy: CallPolicy,
        spans: Spans | None = None,
    ) -> None:
        self.name = name
        self.http = http
        self.policy = policy
        self._base = str(http.base_url).rstrip("/")
        self.breaker = CircuitBreaker(
            name, failure_threshold=policy.breaker_failures, reset_s=policy.breaker_reset_s
        )
        self.retry_budget = RetryBudget(ratio=policy.retry_ratio, burst=policy.retry_burst)
        self._backoff = Backoff(policy.backoff_base_s, policy.backoff_cap_s)
        self._rng = random.Random()
        self._latency = BACKEND_LATENCY.labels(backend=name)
        self._retries = BACKEND_RETRIES.labels(backend=name)
        self._refused = RETRIES_REFUSED.labels(backend=name)
        # None: tracing is off, and no call below touches OpenTelemetry.
        self._spans = spans

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self._call("GET", self._url(path, params), idempotent=True)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        # Never retried: the backend may have applied a write whose answer was lost.
        return await self._call(
            "POST", self._url(path, None), content=orjson.dumps(body), idempotent=False
        )

    def _url(self, path: str, params: dict[str, Any] | None) -> str:
        # One absolute URL, encoded here: httpx would parse a path and its params three times
        # (merge with the base URL, merge the params, the request), character by character,
        # and ID lists make long URLs. Commas stay as they are: the backends split on them.
        url = f"{self._base}{path}"
        return f"{url}?{urlencode(params, safe=',')}" if params else url

    async def _call(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        idempotent: bool,
    ) -> Any:
        self.retry_budget.deposit()
        scope = current_scope()
        attempt = 0
        while True:
            try:
                if self._spans is None:
                    return await self._attempt(method, url, content, scope)
                return await self._traced_attempt(self._spans, method, url, content, scope)
            except _Retryable as failed:
                delay = self._retry_delay(attempt, scope) if idempotent else None
                if delay is None:
                    raise failed.error from failed.__cause__
            self._retries.inc()
            await asyncio.sleep(delay)
            attempt += 1

    def _retry_delay(self, attempt: int, scope: CallScope | None) -> float | None:
        """The backoff before another attempt, or None when no retry is allowed."""
        if attempt + 1 >= self.policy.max_attempts:
            return None
        delay = self._backoff.delay(attempt, self._rng)
        remaining = scope.remaining() if scope else None
        # A retry that cannot finish before the deadline only adds load.
        if remaining is not None and remaining <= delay + self.policy.backoff_base_s:
            return None
        if not self.retry_budget.withdraw():
            self._refused.inc()
            return None
        return delay

    def _timeout(self, scope: CallScope | None) -> float:
        remaining = scope.remaining() if scope else None
        if remaining is None:
            return self.policy.timeout_s
        if remaining <= 0:
            raise BackendTimeout(
                f"The request's deadline passed before the {self.name} service was called.",
                service=self.name,
            )
        return min(self.policy.timeout_s, remaining)

    async def _traced_attempt(
        self,
        spans: Spans,
        method: str,
        url: str,
        content: bytes | None,
        scope: CallScope | None,
    ) -> Any:
        """One attempt in a client span (one per attempt: each carries its own traceparent)."""
        path = url.removeprefix(self._base).split("?", 1)[0]
        span = spans.backend_call(self.name, method, path)
        try:
            return await self._attempt(method, url, content, scope, span)
        except _Retryable as retryable:
            spans.failed(span, retryable.error)
            raise
        except BaseException as error:
            spans.failed(span, error)
            raise
        finally:
            span.end()

    async def _attempt(
        self,
        method: str,
        url: str,
        content: bytes | None,
        scope: CallScope | None,
        span: Span | None = None,
    ) -> Any:
        timeout = self._timeout(scope)
        if not self.breaker.allow():
            raise BackendUnavailable(
                f"The {self.name} service is failing; calls resume in "
                f"{self.breaker.retry_in():.1f}s (circuit open).",
                service=self.name,
            )
        started = time.perf_counter()
        headers = {DEADLINE_HEADER: str(max(1, int(timeout * 1000)))}
        if content is not None:
            headers["content-type"] = "application/json"
        if span is not None:
            assert self._spans is not None
            self._spans.inject(span, headers)
        try:
            # httpx's own timeout covers real HTTP; asyncio's also covers ASGITransport,
            # which ignores httpx timeouts.
            async with asyncio.timeout(timeout):
                response = await self.http.request(
                    method, url, content=content, headers=headers, timeout=timeout
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            self._failed(method, "timeout", started)
            raise BackendTimeout(
                f"The {self.name} service did not answer within {timeout:.2f}s.",
                service=self.name,
            ) from exc
        except httpx.HTTPError as exc:
            self._failed(method, "unavailable", started)
            raise _Retryable(
                BackendUnavailable(f"The {self.name} service is unreachable.", service=self.name)
            ) from exc
        except asyncio.CancelledError:
            self.breaker.release()
            raise
        self._count(method, str(response.status_code), started)
        if span is not None:
            assert self._spans is not None
            self._spans.answered(span, response.status_code, response.headers.get("server-timing"))
        if response.status_code == 504:
            # The backend gave up on the budget we sent: the deadline is spent, no retry.
            self.breaker.record_failure()
            raise BackendTimeout(
                f"The {self.name} service ran out of time ({response.status_code}).",
                service=self.name,
            )
        if response.status_code >= 500:
            self.breaker.record_failure()
            raise _Retryable(
                BackendUnavailable(
                    f"The {self.name} service failed ({response.status_code}).", service=self.name
                )
            )
        try:
            payload = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            self.breaker.record_failure()
            raise _Retryable(
                BackendUnavailable(
                    f"The {self.name} service sent a malformed answer.", service=self.name
                )
            ) from exc
        self.breaker.record_success()
        if response.status_code >= 400:
            error = payload.get("error", {}) if isinstance(payload, dict) else {}
            message = str(error.get("message") or f"{self.name} refused the request")
            error_type = _STATUS_ERRORS.get(response.status_code, BadUserInput)
            raise error_type(message)
        return payload

    def _failed(self, method: str, status: str, started: float) -> None:
        self._count(method, status, started)
        self.breaker.record_failure()

    def _count(self, method: str, status: str, started: float) -> None:
        BACKEND_REQUESTS.labels(backend=self.name, method=method, status=status).inc()
        self._latency.observe(time.perf_counter() - started)
