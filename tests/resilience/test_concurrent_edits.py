"""50 clients edit the same few playlists at once through the gateway: nothing is lost,
nothing is doubled, and every lost race is reported as CONFLICT.

Real processes: ``crossfade serve`` and ``crossfade backend playlists`` on loopback, over a
private copy of the store. Every client is a device of the same listener (only the owner
edits a playlist) and adds its own tracks, so where each add ended up is checkable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

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

CLIENTS = 50
PLAYLISTS = 4
ADDS_PER_CLIENT = 2
OWNER = "user-21"


@pytest.fixture(scope="module")
def stack(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EditStack]:
    root = tmp_path_factory.mktemp("concurrent-edits")
    store = copy_store(data_dir, root / "store")
    playlists = BackendProcess("playlists", store).start()
    gateway = GatewayProcess(
        store,
        root / "gateway.log",
        CROSSFADE_PLAYLISTS_URL=playlists.url,
        # 50 devices of one listener are far above a listener's fair rate: not what this tests.
        CROSSFADE_RATE_LIMIT="false",
        # Nor is shedding the burst of 50 edits a serialised writer takes a second to absorb.
        CROSSFADE_MAX_CONCURRENT_EXECUTIONS="1000",
    )
    try:
        yield EditStack(store, playlists, gateway.start())
    finally:
        gateway.stop()
        playlists.stop()


@pytest.mark.slow
@pytest.mark.anyio
async def test_concurrent_edits_keep_every_acknowledged_add_exactly_once(
    stack: EditStack,
) -> None:
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=stack.gateway.url, timeout=30, limits=limits) as http:
        # given a few playlists and, per client, tracks nobody else touches
        setup = Editor(http, OWNER)
        playlist_ids = [await setup.create(f"shared {i}") for i in range(PLAYLISTS)]
        tracks = track_keys(stack.store, CLIENTS * ADDS_PER_CLIENT, offset=1000)
        conflicts_before = stack.backend_statuses("409")
        editors = [Editor(http, OWNER) for _ in range(CLIENTS)]
        added: dict[str, list[int]] = {p: [] for p in playlist_ids}
        removed: dict[str, list[int]] = {p: [] for p in playlist_ids}
        replays: list[tuple[str, dict[str, object], dict[str, object]]] = []

        async def client(i: int, editor: Editor) -> None:
            mine = tracks[i * ADDS_PER_CLIENT : (i + 1) * ADDS_PER_CLIENT]
            targets = [playlist_ids[(i + j) % PLAYLISTS] for j in range(ADDS_PER_CLIENT)]
            for track, playlist_id in zip(mine, targets, strict=True):
                ack = await editor.edit("AddTracks", playlist_id, track, idempotency_key())
                added[playlist_id].append(track)
                replays.append((playlist_id, ack.variables, ack.data))
            # then takes its first track out again
            await editor.edit("RemoveTracks", targets[0], mine[0])
            removed[targets[0]].append(mine[0])

        # when all of them edit at once
        async with anyio.create_task_group() as tasks:
            for i, editor in enumerate(editors):
                tasks.start_soon(client, i, editor)

        # and every add is sent again with its key, as a client does after a lost answer
        for _, variables, first_answer in replays:
            again = await editors[0].send("AddTracks", variables)
            assert "errors" not in again, again
            assert again["data"] == first_answer

    # then each playlist holds exactly the acknowledged adds minus the acknowledged removes
    for playlist_id in playlist_ids:
        expected = Counter(added[playlist_id]) - Counter(removed[playlist_id])
        assert Counter(stack.entries(playlist_key(playlist_id))) == expected
    acknowledged = sum(map(len, added.values())) + sum(map(len, removed.values()))
    conflicts = sum(e.conflicts for e in editors)
    assert acknowledged == CLIENTS * (ADDS_PER_CLIENT + 1)
    assert [error for e in editors for error in e.other_errors] == []
    # and every conflict the playlists service answered reached a client as CONFLICT
    assert conflicts > 0, "the clients never raced: the test proved nothing"
    assert stack.backend_statuses("409") - conflicts_before == conflicts
    print(
        f"\nconcurrent edits: {CLIENTS} clients, {PLAYLISTS} playlists, "
        f"{acknowledged} edits acknowledged, {conflicts} conflicts (all CONFLICT), "
        f"{len(replays)} replays answered from their idempotency key, 0 lost, 0 doubled"
    )
