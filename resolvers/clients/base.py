"""The one HTTP client every backend client is built on.

Same code in both deployments: the ``httpx.AsyncClient`` it wraps talks either to an
in-process ASGI app (``httpx.ASGITransport``) or to a real URL. It counts every call, maps
transport failures to ``BACKEND_*`` errors naming the service, and maps the backends' typed
error bodies to the API's error codes.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson

from resolvers.errors import (
    BackendTimeout,
    BackendUnavailable,
    BadUserInput,
    Conflict,
    CrossfadeError,
    Forbidden,
    NotFound,
)
from resolvers.telemetry import BACKEND_LATENCY, BACKEND_REQUESTS

_STATUS_ERRORS: dict[int, type[CrossfadeError]] = {
    400: BadUserInput,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: BadUserInput,
}


class BackendClient:
    """JSON calls to one backend through a shared, pooled ``httpx.AsyncClient``."""

    def __init__(self, name: str, http: httpx.AsyncClient) -> None:
        self.name = name
        self.http = http
        self._latency = BACKEND_LATENCY.labels(backend=name)

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self._call("GET", path, params=params)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        return await self._call("POST", path, content=orjson.dumps(body))

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
    ) -> Any:
        started = time.perf_counter()
        headers = {"content-type": "application/json"} if content is not None else None
        try:
            response = await self.http.request(
                method, path, params=params, content=content, headers=headers
            )
        except httpx.TimeoutException as exc:
            self._count(method, "timeout", started)
            raise BackendTimeout(
                f"The {self.name} service did not answer in time.", service=self.name
            ) from exc
        except httpx.HTTPError as exc:
            self._count(method, "unavailable", started)
            raise BackendUnavailable(
                f"The {self.name} service is unreachable.", service=self.name
            ) from exc
        self._count(method, str(response.status_code), started)
        if response.status_code >= 500:
            raise BackendUnavailable(
                f"The {self.name} service failed ({response.status_code}).", service=self.name
            )
        try:
            payload = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise BackendUnavailable(
                f"The {self.name} service sent a malformed answer.", service=self.name
            ) from exc
        if response.status_code >= 400:
            error = payload.get("error", {}) if isinstance(payload, dict) else {}
            message = str(error.get("message") or f"{self.name} refused the request")
            error_type = _STATUS_ERRORS.get(response.status_code, BadUserInput)
            raise error_type(message)
        return payload

    def _count(self, method: str, status: str, started: float) -> None:
        BACKEND_REQUESTS.labels(backend=self.name, method=method, status=status).inc()
        self._latency.observe(time.perf_counter() - started)
