"""The identity provider's signing keys (a JWKS), fetched with httpx and cached.

PyJWT's ``PyJWKClient`` fetches with ``urllib`` synchronously, which would stall the event
loop (every request of the process) for the whole fetch, and it refetches on every unknown
``kid``, so a stream of forged kids would become a stream of requests to the identity
provider. This cache fetches asynchronously, lets concurrent misses share one fetch, refetches
on an unknown ``kid`` at most once per ``min_refresh_s``, and keeps serving the keys it has
when a refresh fails (the provider being down must not sign everyone out).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

import httpx
import jwt
import orjson

log = logging.getLogger("crossfade.jwks")


class UnknownKey(Exception):
    """The token names a key the identity provider does not publish."""


class JwksUnavailable(Exception):
    """The key set could not be fetched and no earlier copy is at hand."""


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient,
        algorithms: Collection[str],
        ttl_s: float,
        min_refresh_s: float,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.client = client
        self.algorithms = frozenset(algorithms)
        self.ttl_s = ttl_s
        self.min_refresh_s = min_refresh_s
        self.max_bytes = max_bytes
        self.clock = clock
        self.fetches = 0  # how often the provider was asked (tests and metrics read it)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last attempt, successful or not
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK:
        """The signing key ``kid``; refetches when the set is stale or lacks it."""
        if not self._stale() and kid in self._keys:
            return self._keys[kid]
        if kid not in self._keys and not self._may_refetch() and not self._stale():
            raise UnknownKey(kid)
        async with self._lock:
            # Another request may have refreshed while this one waited for the lock.
            if (self._stale() or kid not in self._keys) and self._may_refetch():
                await self._refresh()
        if kid in self._keys:
            return self._keys[kid]
        if self._fetched_at is None:
            raise JwksUnavailable(self.url)
        raise UnknownKey(kid)

    def current(self, kid: str) -> jwt.PyJWK | None:
        """Key ``kid`` of the set as last fetched, without fetching; None once the set is
        stale (past its TTL) or lacks it."""
        return None if self._stale() else self._keys.get(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or self.clock() - self._fetched_at >= self.ttl_s

    def _may_refetch(self) -> bool:
        return self._attempted_at is None or self.clock() - self._attempted_at >= self.min_refresh_s

    async def _refresh(self) -> None:
        self._attempted_at = self.clock()
        self.fetches += 1
        try:
            keys = await self._fetch()
        except (httpx.HTTPError, ValueError) as exc:
            # Keep the keys we have: a flaky provider must not turn valid tokens into 401s.
            log.warning("JWKS fetch failed: %s", exc, extra={"fields": {"url": self.url}})
            return
        self._keys = keys
        self._fetched_at = self._attempted_at

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        async with self.client.stream("GET", self.url) as response:
            response.raise_for_status()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise ValueError(f"JWKS larger than {self.max_bytes} bytes")
        document = orjson.loads(body)
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("JWKS has no 'keys' list")
        keys: dict[str, jwt.PyJWK] = {}
        for data in document["keys"]:
            key = self._signing_key(data)
            if key is not None:
                keys[key.key_id or ""] = key
        return keys

    def _signing_key(self, data: object) -> jwt.PyJWK | None:
        """A usable signing key, or None for entries this gateway must ignore."""
        if not isinstance(data, dict) or not isinstance(data.get("kid"), str):
            return None
        if data.get("use", "sig") != "sig" or data.get("kty") not in {"RSA", "EC", "OKP"}:
            return None
        if "alg" in data and data["alg"] not in self.algorithms:
            return None
        try:
            return jwt.PyJWK(data)
        except jwt.PyJWTError as exc:
            log.warning("JWKS key %s skipped: %s", data.get("kid"), exc)
            return None
