"""Field usage per client: the counter the gateway feeds, and the store the CLI reads, from
settings. SQLite (``usage.db`` in the data dir) by default, Redis when ``CROSSFADE_REDIS_URL``
is set, so replicas add up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.config import Settings
from gateway.governance.redis_store import USAGE_PREFIX
from gateway.usage.redis_usage import RedisUsageSink, RedisUsageSource
from gateway.usage.sqlite_usage import SqliteUsage
from gateway.usage.usage_counter import UsageCounter
from gateway.usage.usage_store import UsageSink, UsageSource

if TYPE_CHECKING:
    import redis.asyncio


def build_usage(settings: Settings, redis: redis.asyncio.Redis | None) -> UsageCounter | None:
    """The gateway's counter (None when usage is off); ``redis`` is the shared pool, if any."""
    if not settings.usage:
        return None
    sink: UsageSink = (
        RedisUsageSink(redis, USAGE_PREFIX, retention_days=settings.usage_retention_days)
        if redis is not None
        else SqliteUsage(settings.usage_db_path, retention_days=settings.usage_retention_days)
    )
    return UsageCounter(
        sink,
        flush_s=settings.usage_flush_s,
        max_keys=settings.usage_max_keys,
        document_cache_size=settings.document_cache_size,
    )


def usage_source(settings: Settings) -> UsageSource:
    """What ``crossfade usage`` and ``crossfade schema check`` read: the store the gateway
    with these settings writes to."""
    if settings.redis_url:
        import redis

        client = redis.Redis.from_url(
            settings.redis_url,
            socket_timeout=settings.redis_timeout_s,
            socket_connect_timeout=settings.redis_timeout_s,
        )
        return RedisUsageSource(client, USAGE_PREFIX, source=_redacted(settings.redis_url))
    return SqliteUsage(settings.usage_db_path, retention_days=settings.usage_retention_days)


def _redacted(url: str) -> str:
    """The Redis URL without its password, for printing."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    return f"{scheme}://***@{rest.rpartition('@')[2]}"
