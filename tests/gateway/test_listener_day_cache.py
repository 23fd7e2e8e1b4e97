"""What a listener's history decides is computed once a day (Discover Weekly once a week) and
kept per listener, and a new play is still folded into the very next response."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.graphql import execute
from tests.support.repo import REPO, operation

pytestmark = pytest.mark.anyio

RECORD_PLAY = "mutation($t: ID!) { recordPlay(input: {trackId: $t}) { playedAt } }"


def _shelf(body: dict[str, Any], kind: str) -> list[str]:
    for edge in body["data"]["home"]["sections"]["edges"]:
        if edge["node"]["kind"] == kind:
            return [e["node"]["id"] for e in edge["node"]["items"]["edges"]]
    return []


def _viewer_cache_misses() -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value("crossfade_cache_misses_total", {"cache": "viewer"})
    return value or 0.0


async def test_a_new_play_is_folded_into_the_next_home_at_once(
    client: httpx.AsyncClient,
) -> None:
    # given a listener whose Home recommends a track they never played
    before = await execute(client, operation("HomeFeed"), user="user-31")
    track = _shelf(before, "RECOMMENDED")[0]
    again = await execute(client, operation("HomeFeed"), user="user-31")
    assert again == before  # served from the day's picks

    # when they play it
    played = await execute(client, RECORD_PLAY, {"t": track}, user="user-31")
    assert "errors" not in played, played.get("errors")
    misses = _viewer_cache_misses()
    after = await execute(client, operation("HomeFeed"), user="user-31")

    # then the next Home has it first among the recent plays and no longer recommends it:
    # the history version moved, so the picks were made again
    assert _shelf(after, "RECENTLY_PLAYED")[0] == track
    assert track not in _shelf(after, "RECOMMENDED")
    assert _viewer_cache_misses() > misses


async def test_picks_are_made_once_a_day_and_discover_weekly_once_a_week(
    client: httpx.AsyncClient,
) -> None:
    from resolvers.clients.scope import call_scope
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context
    from resolvers.home import home

    services = client.app.state.services  # type: ignore[attr-defined]

    async def open_home(at: dt.datetime) -> float:
        """Home at ``at`` for one listener; how many per-listener results were computed."""
        misses = _viewer_cache_misses()
        with call_scope(5.0):
            view = await home(Context.build(None, Viewer(32), services), now=at)
        assert view.shelves
        return _viewer_cache_misses() - misses

    tuesday = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
    # the first Home of the day computes the picks, the mixes and Discover Weekly
    assert await open_home(tuesday) == 3
    # later that day: nothing
    assert await open_home(tuesday + dt.timedelta(hours=10)) == 0
    # the next day: the picks and the mixes, not Discover Weekly (same ISO week)
    assert await open_home(tuesday + dt.timedelta(days=1)) == 2
    # the next week: all three
    assert await open_home(tuesday + dt.timedelta(days=7)) == 3


@pytest.mark.slow
def test_a_serving_process_ranks_on_one_blas_thread(data_dir: Path) -> None:
    # given a fresh interpreter, where numpy's OpenBLAS starts with its thread pool
    script = (
        "from ranking.blas import blas_threads\n"
        "from gateway.app import create_app\n"
        "from gateway.config import Settings\n"
        "before = blas_threads()\n"
        f"app = create_app(Settings(data_dir={str(data_dir)!r}))\n"
        "app.state.services.ranking.reload()\n"  # what start-up does
        "print(before, blas_threads())\n"
    )
    # when it loads the model to serve it
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "CROSSFADE_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    # then every BLAS call of the process runs on one thread: no pool on the request path
    assert int(out[0]) >= 1 and int(out[1]) == 1
