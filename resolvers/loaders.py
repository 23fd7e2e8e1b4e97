"""Per-request DataLoaders, one per backend and key, named ``<Entity>By<Key>Loader``.

Built fresh for every request (they cache futures, which must not outlive it); they batch
every ``load`` of one tick into one backend call and answer in key order.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from resolvers.clients import Clients
from resolvers.clients.records import (
    AlbumRecord,
    ArtistRecord,
    Page,
    PlaylistRecord,
    TrackRecord,
    UserRecord,
)

PageKey = tuple[int, int, int]  # (playlist_id, offset, limit)
K = TypeVar("K")
V = TypeVar("V")


async def load_level(loader: DataLoader[K, V], keys: Sequence[K]) -> list[V | Exception]:
    """The values of ``keys`` (in order) for a whole level of the response at once.

    Keys another branch of this request already loaded or asked for are shared through the
    loader's cache; the rest are fetched with one call of the loader's batch function, not
    one future and one wake-up per key, and primed for the branches after. A single key
    goes through ``load``. As with ``load``, a key whose load failed holds the exception
    (every key of a failed call).
    """
    cache = loader.cache_map if loader.cache else None
    values: dict[K, V | Exception] = {}
    missing: list[K] = []
    for key in dict.fromkeys(keys):
        future = None if cache is None else cache.get(key)
        if future is None or future.cancelled():
            missing.append(key)
            continue
        try:
            values[key] = await future
        except Exception as exc:
            values[key] = exc
    if len(missing) == 1:
        # One parent (a per-item resolver): through the loader, so that the items of a level
        # resolved one by one still share one call.
        try:
            values[missing[0]] = await loader.load(missing[0])
        except Exception as exc:
            values[missing[0]] = exc
    elif missing:
        try:
            found: list[Any] = list(await loader.load_fn(missing))
            if len(found) != len(missing):
                raise TypeError(f"the batch answered {len(found)} values for {len(missing)} keys")
        except Exception as exc:
            found = [exc] * len(missing)
        values.update(zip(missing, found, strict=True))
        if cache is not None:
            loader.prime_many(
                {k: v for k, v in zip(missing, found, strict=True) if not isinstance(v, Exception)}
            )
    return [values[key] for key in keys]


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

    return Loaders(
        track_by_id=DataLoader(clients.catalog.tracks),
        artist_by_id=DataLoader(clients.catalog.artists),
        album_by_id=DataLoader(clients.catalog.albums),
        user_by_id=DataLoader(clients.library.users),
        playlist_by_id=DataLoader(clients.playlists.playlists),
        playlist_page_by_key=DataLoader(playlist_pages),
        play_counts_by_user=DataLoader(clients.library.play_counts),
    )
