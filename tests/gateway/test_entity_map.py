"""The request's entity map: the loads of one tick share one catalog call, a load of what is
already on its way waits for it, and the views join what the records point at."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from resolvers.entities import Entities
from tests.support.calls import CallMeter

pytestmark = pytest.mark.anyio


def _entities(client: httpx.AsyncClient) -> Entities:
    services = client.app.state.services  # type: ignore[attr-defined]
    services.clients.clear_caches()
    return Entities(services.clients.catalog)


async def test_sibling_loads_of_one_tick_share_one_call(client: httpx.AsyncClient) -> None:
    entities = _entities(client)
    with CallMeter() as meter:
        await asyncio.gather(
            entities.load(tracks=[1, 2]), entities.load(tracks=[3]), entities.load(artists=[7])
        )
    assert meter.calls == {"catalog": 1}
    views = [entities.track(t) for t in (1, 2, 3)]
    assert all(v is not None and v.album is not None and v.artists for v in views)
    assert entities.artist(7) is not None


async def test_a_load_of_keys_on_their_way_waits_for_them(client: httpx.AsyncClient) -> None:
    entities = _entities(client)
    with CallMeter() as meter:
        first = asyncio.ensure_future(entities.load(tracks=[10, 11]))
        await asyncio.sleep(0)  # the first batch is dispatched
        await asyncio.sleep(0)
        await entities.load(tracks=[11])
        await first
    assert meter.calls == {"catalog": 1}


async def test_what_a_request_read_costs_the_next_one_nothing(
    client: httpx.AsyncClient,
) -> None:
    catalog = client.app.state.services.clients.catalog  # type: ignore[attr-defined]
    await _entities(client).load(tracks=[20, 21])
    with CallMeter() as meter:
        later = Entities(catalog)
        await later.load(tracks=[20, 21])
    assert meter.total == 0
    view = later.track(20)
    assert view is not None and view.album is not None
    # the album of a track found as a whole view is readable too
    assert later.album(view.track.album_id) == view.album
    # unknown IDs read as None, after one call that found nothing
    await later.load(tracks=[10**9])
    assert later.track(10**9) is None
