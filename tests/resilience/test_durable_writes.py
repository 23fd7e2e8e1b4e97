"""SIGKILL the playlists service in the middle of a write load: no acknowledged write is lost.

Writers add tracks through a real gateway process with idempotency keys. Once some adds are
acknowledged, the playlists process is killed without warning (no shutdown, no flush) and
started again on the same store. Writers whose add failed or whose answer was lost retry
with the same key until acknowledged. Afterwards every acknowledged add is in the store
exactly once: SQLite's WAL with ``synchronous=FULL`` made each commit durable before the
service answered, and the keys turned the retries of in-flight adds into no-ops.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest

from resolvers.global_id import to_global_id
from tests.resilience.edit_load import (
    Editor,
    EditStack,
    GatewayProcess,
    idempotency_key,
    playlist_key,
    track_keys,
)
from tests.resilience.processes import BackendProcess
from tests.store_copy import copy_store

WRITERS = 12
ADDS_PER_WRITER = 10
KILL_AFTER_ACKS = 30
DOWN_FOR_S = 0.5
DEADLINE_S = 60.0
OWNER = "user-22"


@pytest.fixture(scope="module")
def stack(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EditStack]:
    root = tmp_path_factory.mktemp("durable-writes")
    store = copy_store(data_dir, root / "store")
    playlists = BackendProcess("playlists", store).start()
    gateway = GatewayProcess(
        store,
        root / "gateway.log",
        CROSSFADE_PLAYLISTS_URL=playlists.url,
        CROSSFADE_RATE_LIMIT="false",  # a dozen writers of one listener, flat out
        CROSSFADE_MAX_CONCURRENT_EXECUTIONS="1000",  # writes stall while it restarts: no shedding
    )
    try:
        yield EditStack(store, playlists, gateway.start())
    finally:
        gateway.stop()
        playlists.stop()


@dataclass
class Load:
    """What the writers saw, for the assertions and the report."""

    acknowledged: int = 0
    in_flight: int = 0
    in_flight_at_kill: int = -1
    acknowledged_at_kill: int = -1
    failed_attempts: int = 0


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_killed_playlists_service_loses_no_acknowledged_write(stack: EditStack) -> None:
    load = Load()
    killed, kill_now = anyio.Event(), anyio.Event()
    deadline = time.monotonic() + DEADLINE_S
    async with httpx.AsyncClient(base_url=stack.gateway.url, timeout=10) as http:
        # given playlists and, per writer, tracks of its own
        setup = Editor(http, OWNER)
        playlist_ids = [await setup.create(f"durable {i}") for i in range(3)]
        tracks = track_keys(stack.store, WRITERS * ADDS_PER_WRITER, offset=3000)
        acked: dict[str, list[int]] = {p: [] for p in playlist_ids}

        async def add_until_acknowledged(playlist_id: str, track: int) -> None:
            # One key per logical add: a retry after a failure or a lost answer is the same add.
            variables = {
                "playlistId": playlist_id,
                "trackIds": [to_global_id("Track", track)],
                "idempotencyKey": idempotency_key(),
            }
            while time.monotonic() < deadline:
                load.in_flight += 1
                try:
                    answer = await setup.send("AddTracks", variables)
                except httpx.TransportError:
                    answer = {"errors": [{"extensions": {"code": "TRANSPORT"}}]}
                finally:
                    load.in_flight -= 1
                if "errors" not in answer:
                    acked[playlist_id].append(track)
                    load.acknowledged += 1
                    if load.acknowledged >= KILL_AFTER_ACKS:
                        kill_now.set()
                    return
                codes = {e["extensions"]["code"] for e in answer["errors"]}
                assert codes <= {"BACKEND_UNAVAILABLE", "BACKEND_TIMEOUT", "TRANSPORT"}, answer
                load.failed_attempts += 1
                await anyio.sleep(random.uniform(0.05, 0.2))
            raise AssertionError(f"track {track} was never acknowledged")

        async def writer(i: int) -> None:
            for j in range(ADDS_PER_WRITER):
                track = tracks[i * ADDS_PER_WRITER + j]
                await add_until_acknowledged(playlist_ids[(i + j) % len(playlist_ids)], track)

        async def killer() -> None:
            await kill_now.wait()
            # when the playlists service dies mid-load, and comes back on the same store
            load.in_flight_at_kill = load.in_flight
            load.acknowledged_at_kill = load.acknowledged
            stack.playlists.kill()
            killed.set()
            await anyio.sleep(DOWN_FOR_S)
            await anyio.to_thread.run_sync(stack.playlists.start)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(killer)
            for i in range(WRITERS):
                tasks.start_soon(writer, i)

    # then every acknowledged add is there, exactly once
    assert killed.is_set()
    lost = doubled = 0
    for playlist_id in playlist_ids:
        present = Counter(stack.entries(playlist_key(playlist_id)))
        lost += sum(1 for t in acked[playlist_id] if present[t] == 0)
        doubled += sum(1 for t in acked[playlist_id] if present[t] > 1)
        assert set(present) == set(acked[playlist_id])
    assert (lost, doubled) == (0, 0)
    assert load.acknowledged == WRITERS * ADDS_PER_WRITER
    assert load.in_flight_at_kill > 0, "nothing was in flight at the kill: it proved little"
    print(
        f"\nkill test: {WRITERS} writers, SIGKILL after {load.acknowledged_at_kill} acknowledged "
        f"adds with {load.in_flight_at_kill} in flight, {load.failed_attempts} failed attempts "
        f"while down, {load.acknowledged} acknowledged in all, lost {lost}, doubled {doubled}"
    )
