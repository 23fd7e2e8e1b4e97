"""Backend clients: one per backend, sharing one pooled ``httpx.AsyncClient`` each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from resolvers.clients.base import BackendClient
from resolvers.clients.cache import CacheConfig, CountedCache
from resolvers.clients.catalog import CatalogClient
from resolvers.clients.library import LibraryClient
from resolvers.clients.playlists import PlaylistsClient
from resolvers.clients.policy import CallPolicy
from resolvers.clients.records import BatchMixes, History
from resolvers.clients.search import SearchClient

if TYPE_CHECKING:
    from resolvers.clients.spans import Spans


@dataclass(frozen=True, slots=True)
class Clients:
    catalog: CatalogClient
    library: LibraryClient
    playlists: PlaylistsClient
    search: SearchClient
    # Per-listener results (recommendations, mixes), keyed by (kind, listener, what they were
    # computed from: history version, model version, day or week, ...).
    viewer_cache: CountedCache[tuple[Any, ...], Any]
    caches: tuple[CountedCache[Any, Any], ...]

    def clear_caches(self) -> None:
        for cache in self.caches:
            cache.clear()

    def backends(self) -> dict[str, BackendClient]:
        """The HTTP client of each backend (its breaker and retry budget), by name."""
        return {
            "catalog": self.catalog.backend,
            "library": self.library.backend,
            "playlists": self.playlists.backend,
            "search": self.search.backend,
        }


def build_clients(
    http: Mapping[str, httpx.AsyncClient],
    config: CacheConfig,
    policies: Mapping[str, CallPolicy],
    spans: Spans | None = None,
) -> Clients:
    caches: list[CountedCache[Any, Any]] = []

    def entity_cache(name: str) -> CountedCache[int, Any]:
        cache: CountedCache[int, Any] = CountedCache(
            name,
            maxsize=config.entity_size,
            ttl=config.entity_ttl,
            stale_size=config.stale_size,
            stale_ttl=config.stale_ttl,
            spans=spans,
        )
        caches.append(cache)
        return cache

    def shared(name: str) -> CountedCache[tuple[Any, ...], Any]:
        cache: CountedCache[tuple[Any, ...], Any] = CountedCache(
            name,
            maxsize=config.shared_size,
            ttl=config.shared_ttl,
            stale_size=config.stale_size,
            stale_ttl=config.stale_ttl,
            spans=spans,
        )
        caches.append(cache)
        return cache

    def backend(name: str) -> BackendClient:
        return BackendClient(name, http[name], policies[name], spans)

    viewer: CountedCache[tuple[Any, ...], Any] = CountedCache(
        "viewer", maxsize=config.viewer_size, ttl=config.viewer_ttl, spans=spans
    )
    histories: CountedCache[int, History] = CountedCache(
        "library.histories", maxsize=config.viewer_size, ttl=config.viewer_ttl, spans=spans
    )
    batch_mixes: CountedCache[int, BatchMixes] = CountedCache(
        "library.batch_mixes", maxsize=config.viewer_size, ttl=config.viewer_ttl, spans=spans
    )
    # No stale copies: a view is rebuilt from the records' own stale copies when needed.
    track_views: CountedCache[int, Any] = CountedCache(
        "catalog.track_views", maxsize=config.entity_size, ttl=config.entity_ttl, spans=spans
    )
    caches += [viewer, histories, batch_mixes, track_views]
    return Clients(
        catalog=CatalogClient(
            backend("catalog"),
            entity_cache=entity_cache,
            shared_cache=shared("catalog.shared"),
            track_views=track_views,
        ),
        library=LibraryClient(
            backend("library"),
            entity_cache=entity_cache,
            histories=histories,
            batch_mixes=batch_mixes,
        ),
        playlists=PlaylistsClient(backend("playlists"), shared_cache=shared("playlists.shared")),
        search=SearchClient(backend("search"), shared_cache=shared("search")),
        viewer_cache=viewer,
        caches=tuple(caches),
    )
