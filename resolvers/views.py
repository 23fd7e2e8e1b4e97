"""Hydrated views: records joined with the records they point at, ready for the schema.

Resolvers return these; schema types map them with ``from_view`` at the boundary, so per-item
GraphQL fields are plain attributes and never do I/O of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from resolvers.clients.records import AlbumRecord, ArtistRecord, PlaylistRecord, TrackRecord


@dataclass(frozen=True, slots=True)
class AlbumView:
    album: AlbumRecord
    artists: tuple[ArtistRecord, ...]


@dataclass(frozen=True, slots=True)
class TrackView:
    track: TrackRecord
    artists: tuple[ArtistRecord, ...]
    album: AlbumView | None


@dataclass(frozen=True, slots=True)
class PlaylistView:
    """A stored playlist, or one generated for a listener (Discover Weekly, Daily Mix).

    ``key`` is the global ID's key: the store's integer for stored playlists, and
    ``<mix>:<user handle>`` for generated ones, whose ``track_ids`` are known in memory.
    """

    key: str
    name: str
    description: str
    public: bool
    kind: str
    snapshot_id: str
    owner_id: int | None
    track_count: int
    stored_id: int | None = None
    tag: str | None = None
    track_ids: tuple[int, ...] | None = None
    generated_at: int = 0  # unix ms, generated playlists only
    source: str | None = None  # "BATCH" | "REQUEST_TIME", generated playlists only

    @classmethod
    def from_record(cls, record: PlaylistRecord) -> PlaylistView:
        return cls(
            key=str(record.id),
            name=record.name,
            description=record.description,
            public=record.public,
            kind=record.kind.upper(),
            snapshot_id=record.snapshot_id,
            owner_id=record.owner_id,
            track_count=record.track_count,
            stored_id=record.id,
            tag=record.tag,
        )


HomeItemView = TrackView | ArtistRecord | AlbumView | PlaylistView
