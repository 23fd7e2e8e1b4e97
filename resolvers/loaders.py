"""Per-request DataLoaders, for the reads that several branches of one response share.

Built fresh for every request (they cache futures, which must not outlive it); they batch
every ``load`` of one tick into one backend call and answer in key order. Catalog entities
are not loaded here but through the request's entity map (``resolvers/entities.py``), one
batch per tick instead of one future per key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from ranking.period import day_of, week_of
from resolvers.clients import Clients
from resolvers.clients.records import Page, PlaylistRecord, Profile, UserRecord

PageKey = tuple[int, int, int]  # (playlist_id, offset, limit)
K = TypeVar("K")
V = TypeVar("V")


def forget(loader: DataLoader[K, V], key: K) -> None:
    """Drop ``key`` from a loader's per-request cache (after a write), loaded or not."""
    with contextlib.suppress(KeyError):
        loader.clear(key)


@dataclass(frozen=True, slots=True)
class Loaders:
    user_by_id: DataLoader[int, UserRecord | None]
    playlist_by_id: DataLoader[int, PlaylistRecord | None]
    playlist_page_by_key: DataLoader[PageKey, Page]
    # The viewer's profile: `me`, Home and the mixes of one request share its one call.
    profile_by_user: DataLoader[int, Profile | None]


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

    async def profiles(keys: Sequence[int]) -> list[Profile | None]:
        # Only ever the viewer's own: one key per request. The batch job's Discover Weekly
        # (this ISO week) and Daily Mixes (this UTC day) come with it, at no call of their own.
        today = dt.datetime.now(dt.UTC).date()
        periods = (week_of(today), day_of(today))
        return [await clients.library.profile(key, periods) for key in keys]

    return Loaders(
        user_by_id=DataLoader(clients.library.users),
        playlist_by_id=DataLoader(clients.playlists.playlists),
        playlist_page_by_key=DataLoader(playlist_pages),
        profile_by_user=DataLoader(profiles),
    )
