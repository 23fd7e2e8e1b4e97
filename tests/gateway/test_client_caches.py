"""The client layer's caches: bounded, expiring, least recently read out first, counted."""

from __future__ import annotations

import time

from prometheus_client import REGISTRY

from resolvers.clients.cache import CountedCache, TTLMap


def test_an_entry_expires_its_lifetime_after_it_was_stored() -> None:
    entries: TTLMap[str, int] = TTLMap(maxsize=10, ttl=0.05)
    entries["a"] = 1
    assert entries.get("a") == 1
    time.sleep(0.06)
    assert entries.get("a") is None
    assert len(entries) == 0


def test_a_full_map_drops_the_entry_read_longest_ago() -> None:
    entries: TTLMap[str, int] = TTLMap(maxsize=2, ttl=60)
    entries["a"], entries["b"] = 1, 2
    assert entries.get("a") == 1  # "b" is now the one read longest ago
    entries["c"] = 3
    assert (entries.get("a"), entries.get("b"), entries.get("c")) == (1, None, 3)


def _count(kind: str, name: str) -> float:
    return REGISTRY.get_sample_value(f"crossfade_cache_{kind}_total", {"cache": name}) or 0.0


def test_reads_are_counted_one_by_one_or_in_bulk() -> None:
    cache: CountedCache[int, str] = CountedCache("test.counted", maxsize=10, ttl=60)
    hits, misses = _count("hits", "test.counted"), _count("misses", "test.counted")
    cache.set(1, "one")
    assert cache.get(1) == "one" and cache.get(2) is None
    found, missing = cache.get_many([1, 2, 3])
    assert (found, missing) == ({1: "one"}, [2, 3])
    assert cache.peek(1) == "one"  # uncounted, for callers that count in bulk
    cache.count(hits=4, misses=0)
    assert _count("hits", "test.counted") - hits == 1 + 1 + 4
    assert _count("misses", "test.counted") - misses == 1 + 2


def test_a_stale_copy_outlives_the_entry_for_when_the_backend_fails() -> None:
    cache: CountedCache[int, str] = CountedCache(
        "test.stale", maxsize=10, ttl=0.05, stale_size=10, stale_ttl=60
    )
    cache.set(1, "one")
    time.sleep(0.06)
    assert cache.get(1) is None and cache.get_stale(1) == "one"
