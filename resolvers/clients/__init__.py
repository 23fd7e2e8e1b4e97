"""Backend clients: one per backend, sharing one pooled ``httpx.AsyncClient`` each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from resolvers.cache import CountedCache
from resolvers.clients.base import BackendClient
from resolvers.clients.catalog import CatalogClient
from resolvers.clients.library import LibraryClient
from resolvers.clients.playlists import PlaylistsClient
from resolvers.clients.search import SearchClient

BACKENDS = ("catalog", "library", "playlists", "search")


@dataclass(frozen=True, slots=True)
class CacheConfig:
    entity_size: int = 50_000
    entity_ttl: float = 300.0
    shared_size: int = 2_000
    shared_ttl: float = 60.0
    viewer_size: int = 10_000
    viewer_ttl: float = 30.0


@dataclass(frozen=True, slots=True)
class Clients:
    catalog: CatalogClient
    library: LibraryClient
    playlists: PlaylistsClient
    search: SearchClient
    # Per-viewer results (recommendations, mixes), keyed by (kind, viewer, ...).
    viewer_cache: CountedCache[tuple[Any, ...], Any]
    caches: tuple[CountedCache[Any, Any], ...]

    def clear_caches(self) -> None:
        for cache in self.caches:
            cache.clear()


def build_clients(http: Mapping[str, httpx.AsyncClient], config: CacheConfig) -> Clients:
    caches: list[CountedCache[Any, Any]] = []

    def entity_cache(name: str) -> CountedCache[int, Any]:
        cache: CountedCache[int, Any] = CountedCache(
            name, maxsize=config.entity_size, ttl=config.entity_ttl
        )
        caches.append(cache)
        return cache

    def shared(name: str) -> CountedCache[tuple[Any, ...], Any]:
        cache: CountedCache[tuple[Any, ...], Any] = CountedCache(
            name, maxsize=config.shared_size, ttl=config.shared_ttl
        )
        caches.append(cache)
        return cache

    viewer: CountedCache[tuple[Any, ...], Any] = CountedCache(
        "viewer", maxsize=config.viewer_size, ttl=config.viewer_ttl
    )
    caches.append(viewer)
    return Clients(
        catalog=CatalogClient(
            BackendClient("catalog", http["catalog"]),
            entity_cache=entity_cache,
            shared_cache=shared("catalog.shared"),
        ),
        library=LibraryClient(BackendClient("library", http["library"]), entity_cache=entity_cache),
        playlists=PlaylistsClient(
            BackendClient("playlists", http["playlists"]), shared_cache=shared("playlists.shared")
        ),
        search=SearchClient(BackendClient("search", http["search"]), shared_cache=shared("search")),
        viewer_cache=viewer,
        caches=tuple(caches),
    )
