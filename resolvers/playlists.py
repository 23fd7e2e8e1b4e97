"""Playlists: reading stored and generated ones, their tracks, and the edits."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resolvers.access import can_read_playlist, require_playlist_owner, require_viewer
from resolvers.clients.errors import BadUserInput
from resolvers.clients.records import Page, UserRecord
from resolvers.loaders import forget, load_level
from resolvers.pagination import Slice, Window
from resolvers.views import PlaylistView, TrackView

# A playlist's owner, or why it could not be read (resolvers/batching.py).
Owner = UserRecord | None | Exception

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context
    from resolvers.limits import Limits


@dataclass(frozen=True, slots=True)
class PlaylistItem:
    """A track in a playlist, with when (and by whom) it was added."""

    track: TrackView
    added_at: int
    added_by: int | None


async def playlist_views(ctx: Context, ids: Sequence[int]) -> list[PlaylistView]:
    """The stored playlists among ``ids`` that the viewer may read, in order."""
    records = await ctx.loaders.playlist_by_id.load_many(list(ids))
    views = [PlaylistView.from_record(r) for r in records if r is not None]
    return [v for v in views if can_read_playlist(ctx.viewer, v)]


async def playlist_by_key(ctx: Context, key: str) -> PlaylistView | None:
    """A playlist by its global ID key, or None when it is missing or not visible."""
    if key.isdigit() and len(key) <= 12:
        found = await playlist_views(ctx, [int(key)])
        return found[0] if found else None
    from resolvers.mixes import mix_by_key  # mixes build on this module

    return await mix_by_key(ctx, key)


async def playlist_owners(ctx: Context, views: Sequence[PlaylistView]) -> list[Owner]:
    """The owners of several playlists in one read (None for editorial ones), in order; an
    owner that could not be read is the error, for the playlists it concerns only."""
    keys = [v.owner_id for v in views if v.owner_id is not None]
    owners: list[Owner] = []
    if keys:
        owners = await load_level(ctx.loaders.user_by_id, keys)
    found = iter(owners)
    return [None if v.owner_id is None else next(found) for v in views]


async def playlist_items_many(
    ctx: Context, views: Sequence[PlaylistView], w: Window
) -> list[Slice[PlaylistItem] | Exception]:
    """The same window of several playlists' tracks: one page read for the stored ones, then
    one load of every track they hold, in order. A playlist whose page or tracks could not
    be read holds the error (resolvers/batching.py); the others are answered."""
    stored = [v.stored_id for v in views if v.stored_id is not None and w.limit > 0]
    by_playlist: dict[int, Page | Exception] = {}
    if stored:
        pages = await load_level(
            ctx.loaders.playlist_page_by_key, [(pid, w.offset, w.limit) for pid in stored]
        )
        by_playlist.update(zip(stored, pages, strict=True))
    windows: list[tuple[PlaylistView, Page | Exception | None]] = [
        (v, None if v.stored_id is None else by_playlist.get(v.stored_id)) for v in views
    ]
    wanted = [_track_ids(v, page, w) for v, page in windows]
    failure: Exception | None = None
    try:
        await ctx.entities.load(tracks=[t for ids in wanted for t in ids])
    except Exception as exc:
        failure = exc
    out: list[Slice[PlaylistItem] | Exception] = []
    for (v, page), ids in zip(windows, wanted, strict=True):
        if isinstance(page, Exception):
            out.append(page)
        elif failure is not None and ids and not ctx.entities.readable(tracks=ids):
            # Only the playlists the failed fetch was for: one read one by one would have
            # answered those whose tracks needed no fetch.
            out.append(failure)
        else:
            out.append(_slice(ctx, v, page, w))
    return out


def _track_ids(view: PlaylistView, page: Page | Exception | None, w: Window) -> Sequence[int]:
    if view.track_ids is not None:
        return view.track_ids[w.offset : w.offset + w.limit]
    return [] if page is None or isinstance(page, Exception) else [e.track_id for e in page.items]


def _slice(ctx: Context, view: PlaylistView, page: Page | None, w: Window) -> Slice[PlaylistItem]:
    track = ctx.entities.track
    if view.track_ids is not None:
        ids = view.track_ids[w.offset : w.offset + w.limit]
        generated = (track(t) for t in ids)
        items = [PlaylistItem(t, view.generated_at, None) for t in generated if t is not None]
        return Slice(items=items, offset=w.offset, total=len(view.track_ids))
    if page is None:  # an empty window: the count needs no read
        return Slice(items=[], offset=w.offset, total=view.track_count)
    entries = ((e, track(e.track_id)) for e in page.items)
    items = [PlaylistItem(t, e.added_at, e.added_by) for e, t in entries if t is not None]
    return Slice(items=items, offset=w.offset, total=page.total)


def _check_text(limits: Limits, name: str, description: str | None) -> tuple[str, str]:
    name = name.strip()
    if not name:
        raise BadUserInput("`name` must not be empty.")
    if len(name) > limits.max_playlist_name:
        raise BadUserInput(f"`name` must be at most {limits.max_playlist_name} characters.")
    description = (description or "").strip()
    if len(description) > limits.max_playlist_description:
        raise BadUserInput(
            f"`description` must be at most {limits.max_playlist_description} characters."
        )
    return name, description


def _check_tracks(limits: Limits, track_ids: Sequence[int]) -> None:
    if not track_ids:
        raise BadUserInput("`trackIds` must name at least one track.")
    if len(track_ids) > limits.max_tracks_per_edit:
        raise BadUserInput(f"At most {limits.max_tracks_per_edit} tracks per edit.")


async def create_playlist(
    ctx: Context, name: str, description: str | None, public: bool
) -> PlaylistView:
    viewer = require_viewer(ctx.viewer)
    name, description = _check_text(ctx.services.limits, name, description)
    record = await ctx.services.clients.playlists.create(
        owner_id=viewer.user_id, name=name, description=description, public=public
    )
    return PlaylistView.from_record(record)


async def _editable(ctx: Context, playlist_key: int) -> Viewer:
    require_viewer(ctx.viewer)  # before any backend call: guests learn nothing
    records = await ctx.loaders.playlist_by_id.load_many([playlist_key])
    record = records[0] if records else None
    return require_playlist_owner(
        ctx.viewer, None if record is None else PlaylistView.from_record(record)
    )


async def add_tracks(
    ctx: Context,
    playlist_id: int,
    track_ids: Sequence[int],
    expected_snapshot_id: str | None,
    idempotency_key: str | None,
) -> PlaylistView:
    _check_tracks(ctx.services.limits, track_ids)
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 128:
        raise BadUserInput("`idempotencyKey` must be 1 to 128 characters.")
    viewer = await _editable(ctx, playlist_id)
    record = await ctx.services.clients.playlists.add(
        playlist_id,
        user_id=viewer.user_id,
        track_ids=track_ids,
        expected_snapshot_id=expected_snapshot_id,
        idempotency_key=idempotency_key,
    )
    forget(ctx.loaders.playlist_by_id, playlist_id)
    ctx.loaders.playlist_by_id.prime(record.id, record)
    return PlaylistView.from_record(record)


async def remove_tracks(
    ctx: Context, playlist_id: int, track_ids: Sequence[int], expected_snapshot_id: str | None
) -> PlaylistView:
    _check_tracks(ctx.services.limits, track_ids)
    viewer = await _editable(ctx, playlist_id)
    record = await ctx.services.clients.playlists.remove(
        playlist_id,
        user_id=viewer.user_id,
        track_ids=track_ids,
        expected_snapshot_id=expected_snapshot_id,
    )
    forget(ctx.loaders.playlist_by_id, playlist_id)
    ctx.loaders.playlist_by_id.prime(record.id, record)
    return PlaylistView.from_record(record)


def now_ms() -> int:
    return int(time.time() * 1000)
