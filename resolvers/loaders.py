"""Per-request DataLoaders, one per backend and key, named ``<Entity>By<Key>Loader``.

Built fresh for every request (they cache futures, which must not outlive it); they batch
every ``load`` of one tick into one backend call and answer in key order.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from resolvers.clients import Clients
from resolvers.clients.records import (
    AlbumRecord,
    ArtistRecord,
    BatchMixRecord,
    Page,
    PlaylistRecord,
    TrackRecord,
    UserRecord,
)

PageKey = tuple[int, int, int]  # (playlist_id, offset, limit)
PeriodKey = tuple[int, str, str]  # (user_id, ISO week, day)
K = TypeVar("K")
V = TypeVar("V")


def forget(loader: DataLoader[K, V], key: K) -> None:
    """Drop ``key`` from a loader's per-request cache (after a write), loaded or not."""
    with contextlib.suppress(KeyError):
        loader.clear(key)


@dataclass(frozen=True, slots=True)
class Loaders:
    track_by_id: DataLoader[int, TrackRecord | None]
    artist_by_id: DataLoader[int, ArtistRecord | None]
    album_by_id: DataLoader[int, AlbumRecord | None]
    user_by_id: DataLoader[int, UserRecord | None]
    playlist_by_id: DataLoader[int, PlaylistRecord | None]
    playlist_page_by_key: DataLoader[PageKey, Page]
    play_counts_by_user: DataLoader[int, dict[int, float]]
    batch_mixes_by_period: DataLoader[PeriodKey, list[BatchMixRecord]]


def build_loaders(clients: Clients) -> Loaders:
    async def playlist_pages(keys: Sequence[PageKey]) -> list[Page]:
        # One backend call per distinct (offset, limit): Home asks every shelf playlist for
        # the same window, so this is one call in practice.
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for pid, offset, limit in keys:
            groups[(offset, limit)].append(pid)
        answers: dict[PageKey, Page] = {}
        for (offset, limit), pids in groups.items():
            pids = list(dict.fromkeys(pids))
            pages = await clients.playlists.pages(pids, offset=offset, limit=limit)
            for pid, page in zip(pids, pages, strict=True):
                answers[(pid, offset, limit)] = page
        return [answers[k] for k in keys]

    async def batch_mixes(keys: Sequence[PeriodKey]) -> list[list[BatchMixRecord]]:
        # Discover Weekly and the Daily Mixes of one request share a key: one call.
        return [await clients.library.batch_mixes(user, periods) for user, *periods in keys]

    return Loaders(
        track_by_id=DataLoader(clients.catalog.tracks),
        artist_by_id=DataLoader(clients.catalog.artists),
        album_by_id=DataLoader(clients.catalog.albums),
        user_by_id=DataLoader(clients.library.users),
        playlist_by_id=DataLoader(clients.playlists.playlists),
        playlist_page_by_key=DataLoader(playlist_pages),
        play_counts_by_user=DataLoader(clients.library.play_counts),
        batch_mixes_by_period=DataLoader(batch_mixes),
    )
