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
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from ranking.period import day_of, week_of
from resolvers.clients import Clients
from resolvers.clients.records import Page, PlaylistRecord, Profile, UserRecord

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
