"""Inputs and payloads of the mutations (one ``input`` argument, one payload type each)."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.types.playlist import Playlist
from schema.types.track import Track


@strawberry.input(description="A new playlist owned by the current listener.")
class CreatePlaylistInput:
    name: str = strawberry.field(description="Title, 1–100 characters.")
    description: str | None = strawberry.field(default=None, description="Up to 300 characters.")
    public: bool = strawberry.field(default=False, description="Visible to everyone.")


@strawberry.type(description="The result of `createPlaylist`.")
class CreatePlaylistPayload:
    playlist: Playlist = strawberry.field(description="The new, empty playlist.")


@strawberry.input(description="Tracks to append to a playlist the current listener owns.")
class AddTracksToPlaylistInput:
    playlist_id: strawberry.ID = strawberry.field(description="The playlist's global ID.")
    track_ids: list[strawberry.ID] = strawberry.field(
        description="Global IDs of the tracks to append, in order (1–100)."
    )
    expected_snapshot_id: str | None = strawberry.field(
        default=None,
        description="Apply only if the playlist is still at this `snapshotId`; otherwise the "
        "edit fails with CONFLICT and nothing changes.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Client-chosen key (1–128 characters): a retried call with the same key "
        "adds the tracks once and answers as the first call did.",
    )


@strawberry.type(description="The result of `addTracksToPlaylist`.")
class AddTracksToPlaylistPayload:
    playlist: Playlist = strawberry.field(description="The playlist after the edit.")


@strawberry.input(description="Tracks to remove (every occurrence) from an owned playlist.")
class RemoveTracksFromPlaylistInput:
    playlist_id: strawberry.ID = strawberry.field(description="The playlist's global ID.")
    track_ids: list[strawberry.ID] = strawberry.field(description="Global IDs of the tracks.")
    expected_snapshot_id: str | None = strawberry.field(
        default=None, description="Apply only if the playlist is still at this `snapshotId`."
    )


@strawberry.type(description="The result of `removeTracksFromPlaylist`.")
class RemoveTracksFromPlaylistPayload:
    playlist: Playlist = strawberry.field(description="The playlist after the edit.")


@strawberry.input(description="A play of a track by the current listener.")
class RecordPlayInput:
    track_id: strawberry.ID = strawberry.field(description="The track's global ID.")


@strawberry.type(description="The result of `recordPlay`.")
class RecordPlayPayload:
    track: Track = strawberry.field(description="The track that was played.")
    played_at: dt.datetime = strawberry.field(description="When the play was recorded (UTC).")
