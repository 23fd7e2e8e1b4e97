"""The root ``Mutation``: playlist edits and play recording."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers.global_id import int_key
from resolvers.playlists import add_tracks, create_playlist, remove_tracks
from resolvers.plays import record_play
from schema.info import Info
from schema.types.payloads import (
    AddTracksToPlaylistInput,
    AddTracksToPlaylistPayload,
    CreatePlaylistInput,
    CreatePlaylistPayload,
    RecordPlayInput,
    RecordPlayPayload,
    RemoveTracksFromPlaylistInput,
    RemoveTracksFromPlaylistPayload,
)
from schema.types.playlist import Playlist
from schema.types.track import Track


@strawberry.type(description="Everything a client can change.")
class Mutation:
    @strawberry.mutation(description="Create an empty playlist owned by the current listener.")
    async def create_playlist(
        self, info: Info, input: CreatePlaylistInput
    ) -> CreatePlaylistPayload | None:
        view = await create_playlist(info.context, input.name, input.description, input.public)
        return CreatePlaylistPayload(playlist=Playlist.from_view(view))

    @strawberry.mutation(
        description="Append tracks to an owned playlist, optionally only at an expected "
        "snapshot (CONFLICT otherwise) and at most once per idempotency key."
    )
    async def add_tracks_to_playlist(
        self, info: Info, input: AddTracksToPlaylistInput
    ) -> AddTracksToPlaylistPayload | None:
        view = await add_tracks(
            info.context,
            int_key(input.playlist_id, "Playlist"),
            [int_key(t, "Track") for t in input.track_ids],
            input.expected_snapshot_id,
            input.idempotency_key,
        )
        return AddTracksToPlaylistPayload(playlist=Playlist.from_view(view))

    @strawberry.mutation(
        description="Remove every occurrence of the tracks from an owned playlist."
    )
    async def remove_tracks_from_playlist(
        self, info: Info, input: RemoveTracksFromPlaylistInput
    ) -> RemoveTracksFromPlaylistPayload | None:
        view = await remove_tracks(
            info.context,
            int_key(input.playlist_id, "Playlist"),
            [int_key(t, "Track") for t in input.track_ids],
            input.expected_snapshot_id,
        )
        return RemoveTracksFromPlaylistPayload(playlist=Playlist.from_view(view))

    @strawberry.mutation(
        description="Record that the current listener played a track; the next Home shows it "
        "in Recently played and recommendations fold it in at once."
    )
    async def record_play(self, info: Info, input: RecordPlayInput) -> RecordPlayPayload | None:
        play = await record_play(info.context, int_key(input.track_id, "Track"))
        return RecordPlayPayload(
            track=Track.from_view(play.track),
            played_at=dt.datetime.fromtimestamp(play.played_at / 1000, tz=dt.UTC),
        )
