"""Start-up warms the shared caches, but a backend that is not up yet never stops it."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from tests.support.calls import CallMeter
from tests.support.loopback import free_port

pytestmark = pytest.mark.anyio


async def test_a_gateway_starts_while_the_catalog_is_still_down(
    settings_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from gateway.app import create_app
    from gateway.config import Settings

    # given a catalog URL where nothing listens yet
    app = create_app(Settings(data_dir=settings_env, catalog_url=f"http://127.0.0.1:{free_port()}"))
    # when the gateway starts
    with caplog.at_level(logging.WARNING, logger="crossfade.warm"):
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
            ) as client,
        ):
            # then it serves, and says what it could not warm
            assert (await client.get("/healthz")).status_code == 200
            with CallMeter() as meter:
                editorial = await app.state.services.clients.playlists.editorial()
    # the healthy backends were warmed: their values come from the cache
    assert editorial and meter.total == 0
    warned = {r.getMessage().split(" failed")[0] for r in caplog.records}
    assert warned == {"warming charts", "warming genres", "warming popular tracks"}
