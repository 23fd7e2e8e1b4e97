"""Filling the shared caches at start-up, so the first listeners pay no call for them.

What every Home shows — the charts, the editorial playlists, the genres — and the catalog
entities most listeners meet (the most popular tracks, with their albums and artists) are read
once before the first request. Bounded by settings; a backend that cannot answer yet only
leaves its part for the first request to fetch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from resolvers.clients.catalog import EntitySet
from resolvers.clients.errors import CrossfadeError
from resolvers.clients.scope import call_scope
from resolvers.home import POPULAR_SIZE

if TYPE_CHECKING:
    from resolvers.context import Services

log = logging.getLogger("crossfade.warm")


async def warm_shared(services: Services, *, popular_tracks: int, deadline_s: float) -> None:
    """Read the shared values and the ``popular_tracks`` most popular tracks' entities, within
    ``deadline_s`` (a request's budget: start-up never waits longer on a slow backend)."""
    with call_scope(deadline_s):
        await _warm(services, popular_tracks)


async def _warm(services: Services, popular_tracks: int) -> None:
    catalog, playlists = services.clients.catalog, services.clients.playlists
    await asyncio.gather(
        _logged("charts", catalog.charts(limit=POPULAR_SIZE)),
        _logged("genres", catalog.genres()),
        _logged("editorial", playlists.editorial()),
    )
    if popular_tracks <= 0:
        return
    top = await _logged("popular tracks", catalog.charts(limit=popular_tracks))
    if top:
        missing = catalog.lookup(EntitySet(), tracks=top)
        await _logged("catalog entities", catalog.fetch(missing, EntitySet()))


async def _logged(what: str, source: Awaitable[Any]) -> Any:
    try:
        return await source
    except CrossfadeError as error:
        log.warning("warming %s failed: %s", what, error.message)
        return None
