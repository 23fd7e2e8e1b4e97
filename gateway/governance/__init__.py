"""Builds the API-governance pieces from settings: the persisted-operations protocol, the rate
limiter and its middleware, over Redis when ``CROSSFADE_REDIS_URL`` is set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.middleware import Middleware

from gateway.config import Settings
from gateway.governance.bucket_sync import SyncedRateLimiter
from gateway.governance.documents import DocumentStore, MemoryDocumentStore, RedisDocumentStore
from gateway.governance.manifest import load_manifest
from gateway.governance.persisted import PersistedOperations
from gateway.governance.rate_limit_middleware import RateLimitMiddleware, RateLimits, RequestGate
from gateway.governance.rate_limiter import Limit, MemoryRateLimiter, RateLimiter
from gateway.governance.redis_store import APQ_PREFIX, RATE_LIMIT_PREFIX, connect

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass(slots=True)
class Governance:
    persisted: PersistedOperations
    limiter: RateLimiter | None
    limits: RateLimits
    redis: Redis | None
    _gate: RequestGate | None = None

    @property
    def gate(self) -> RequestGate | None:
        """What charges a request to its buckets (the response cache's hits use it too)."""
        if self.limiter is None:
            return None
        if self._gate is None:
            self._gate = RequestGate(self.limiter, self.limits)
        return self._gate

    def middleware(self) -> list[Middleware]:
        """Goes after the auth middleware: the listener's bucket needs the viewer."""
        if self.gate is None:
            return []
        return [Middleware(RateLimitMiddleware, gate=self.gate)]

    async def aclose(self) -> None:
        if isinstance(self.limiter, SyncedRateLimiter):
            await self.limiter.aclose()
        if self.redis is not None:
            await self.redis.aclose()


def rate_limits(settings: Settings) -> RateLimits:
    return RateLimits(
        listener_requests=Limit(
            settings.rate_limit_listener_rps, settings.rate_limit_listener_burst
        ),
        client_requests=Limit(settings.rate_limit_client_rps, settings.rate_limit_client_burst),
        listener_cost=Limit(
            settings.rate_limit_listener_cost_ps, settings.rate_limit_listener_cost_burst
        ),
        client_cost=Limit(
            settings.rate_limit_client_cost_ps, settings.rate_limit_client_cost_burst
        ),
    )


def build_governance(settings: Settings) -> Governance:
    """Raises ``ManifestError`` for an unusable trusted-documents manifest (fail at start-up)."""
    redis = (
        connect(
            settings.redis_url,
            timeout_s=settings.redis_timeout_s,
            max_connections=settings.redis_max_connections,
        )
        if settings.redis_url
        else None
    )
    trusted = load_manifest(settings.trusted_documents) if settings.trusted_documents else None
    store: DocumentStore | None = None
    if settings.apq and trusted is None:
        store = (
            RedisDocumentStore(
                redis, APQ_PREFIX, ttl_s=settings.apq_ttl_s, local_size=settings.apq_cache_size
            )
            if redis is not None
            else MemoryDocumentStore(settings.apq_cache_size)
        )
    # Built even with APQ off: a hash-only request then gets PERSISTED_QUERY_NOT_SUPPORTED.
    persisted = PersistedOperations(
        store=store,
        trusted=trusted,
        max_document_bytes=settings.apq_max_document_size,
        cache_max_age_s=settings.get_cache_max_age_s,
    )
    limiter: RateLimiter | None = None
    if settings.rate_limit:
        # Over Redis, decided locally and synchronised in the background: no round trip on
        # the request path (bucket_sync.py states the error bound across replicas).
        limiter = (
            SyncedRateLimiter(
                redis,
                RATE_LIMIT_PREFIX,
                max_keys=settings.rate_limit_max_keys,
                interval_s=settings.rate_limit_sync_s,
            )
            if redis is not None
            else MemoryRateLimiter(settings.rate_limit_max_keys)
        )
    return Governance(persisted, limiter, rate_limits(settings), redis)
