"""Client of the search backend: full-text hits by type; results are shared and cached."""

from __future__ import annotations

from typing import Any

from resolvers.clients.base import BackendClient
from resolvers.clients.cache import CountedCache
from resolvers.clients.records import SearchHit, SearchHits
from resolvers.clients.stale import cached_or_stale


def _hits(raw: list[dict[str, Any]]) -> tuple[SearchHit, ...]:
    return tuple(SearchHit(int(h["id"]), float(h["score"])) for h in raw)


class SearchClient:
    def __init__(
        self, backend: BackendClient, *, shared_cache: CountedCache[tuple[Any, ...], Any]
    ) -> None:
        self.backend = backend
        self._shared = shared_cache

    async def search(self, query: str, *, limit: int = 50) -> SearchHits:
        # Normalised key: "Metallica " and "metallica" are the same search.
        key = ("search", " ".join(query.lower().split()), limit)

        async def fetch() -> SearchHits:
            body = await self.backend.get("/search", {"q": query, "limit": limit})
            return SearchHits(
                query=str(body.get("query", query)),
                corrected=body.get("corrected"),
                tracks=_hits(body.get("tracks", [])),
                artists=_hits(body.get("artists", [])),
                albums=_hits(body.get("albums", [])),
                playlists=_hits(body.get("playlists", [])),
            )

        hits: SearchHits = await cached_or_stale(self._shared, key, fetch)
        return hits
