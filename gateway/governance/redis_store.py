"""The shared Redis connection pool that lets replicas share the APQ store and rate limits."""

from __future__ import annotations

from redis.asyncio import Redis

# One prefix per purpose, so one Redis database can serve several deployments' gateways.
APQ_PREFIX = "crossfade:apq:"
RATE_LIMIT_PREFIX = "crossfade:rl:"
USAGE_PREFIX = "crossfade:usage:"  # gateway/usage/redis_usage.py


def connect(url: str, *, timeout_s: float, max_connections: int) -> Redis:
    """A lazily connecting client: nothing touches the network until the first command, so a
    gateway starts (and answers /healthz) while Redis is still coming up."""
    return Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        max_connections=max_connections,
        health_check_interval=30,
    )
