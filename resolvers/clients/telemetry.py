"""Prometheus metrics of the data layer: backend calls and caches.

Defined here, next to the code that counts them, and exported by the gateway's /metrics.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

BACKEND_REQUESTS = Counter(
    "crossfade_backend_requests_total",
    "Requests the gateway sent to a backend, by outcome.",
    ["backend", "method", "status"],
)
BACKEND_LATENCY = Histogram(
    "crossfade_backend_request_seconds",
    "Latency of backend requests as seen by the gateway.",
    ["backend"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CACHE_HITS = Counter("crossfade_cache_hits_total", "Cache hits by cache.", ["cache"])
CACHE_MISSES = Counter("crossfade_cache_misses_total", "Cache misses by cache.", ["cache"])
