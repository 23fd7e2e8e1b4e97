"""Plain records that clients and loaders return: frozen dataclasses, no Strawberry.

Field names follow the backends' JSON (docs/architecture.md); ``from_json`` is the one place
that maps a backend payload to a record, so a backend change touches one function.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TrackRecord:
    id: int
    name: str
    album_id: int
    artist_ids: tuple[int, ...]
    genre: str
    duration_ms: int
    explicit: bool
    popularity: int
    energy: float
    valence: float
    danceability: float
    tempo: float

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TrackRecord:
        f = d.get("features") or {}
        return cls(
            id=int(d["id"]),
            name=str(d["name"]),
            album_id=int(d["album_id"]),
            artist_ids=tuple(int(a) for a in d["artist_ids"]),
            genre=str(d.get("genre", "")),
            duration_ms=int(d["duration_ms"]),
            explicit=bool(d["explicit"]),
            popularity=int(d["popularity"]),
            energy=float(f.get("energy", 0.0)),
            valence=float(f.get("valence", 0.0)),
            danceability=float(f.get("danceability", 0.0)),
            tempo=float(f.get("tempo", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class ArtistRecord:
    id: int
    name: str
    popularity: int
    genres: tuple[str, ...]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ArtistRecord:
        return cls(
            id=int(d["id"]),
            name=str(d["name"]),
            popularity=int(d.get("popularity", 0)),
            genres=tuple(str(g) for g in d.get("genres", ())),
        )


@dataclass(frozen=True, slots=True)
class AlbumRecord:
    id: int
    name: str
    artist_ids: tuple[int, ...]
    popularity: int
    track_ids: tuple[int, ...]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AlbumRecord:
        return cls(
            id=int(d["id"]),
            name=str(d["name"]),
            artist_ids=tuple(int(a) for a in d.get("artist_ids", ())),
            popularity=int(d.get("popularity", 0)),
            track_ids=tuple(int(t) for t in d.get("track_ids", ())),
        )


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    display_name: str
    country: str
    timezone: str
    explicit_filter: bool
    simulated: bool

    @property
    def handle(self) -> str:
        return f"user-{self.id}"

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> UserRecord:
        return cls(
            id=int(d["id"]),
            display_name=str(d["display_name"]),
            country=str(d.get("country", "")),
            timezone=str(d.get("timezone", "UTC")),
            explicit_filter=bool(d.get("explicit_filter", False)),
            simulated=bool(d.get("simulated", True)),
        )


@dataclass(frozen=True, slots=True)
class PlaylistRecord:
    """A stored playlist (user-made or editorial)."""

    id: int
    owner_id: int | None
    name: str
    description: str
    public: bool
    kind: str
    tag: str | None
    snapshot_id: str
    track_count: int
    created_at: int
    updated_at: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PlaylistRecord:
        owner = d.get("owner_id")
        return cls(
            id=int(d["id"]),
            owner_id=None if owner is None else int(owner),
            name=str(d["name"]),
            description=str(d.get("description") or ""),
            public=bool(d["public"]),
            kind=str(d["kind"]),
            tag=d.get("tag"),
            snapshot_id=str(d["snapshot_id"]),
            track_count=int(d["track_count"]),
            created_at=int(d["created_at"]),
            updated_at=int(d["updated_at"]),
        )


@dataclass(frozen=True, slots=True)
class PlaylistEntry:
    track_id: int
    added_at: int
    added_by: int | None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a backend-paginated list of IDs or entries."""

    total: int
    items: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Play:
    track_id: int
    played_at: int
    ms_played: int


@dataclass(frozen=True, slots=True)
class History:
    """A listener's play counts at one ``version`` of their history (the library changes the
    version with every play). Kept as two compact arrays: it lives in a per-listener cache."""

    version: str
    track_ids: array[int] = field(repr=False)
    counts: array[float] = field(repr=False)

    @classmethod
    def from_json(cls, version: str, counts: dict[str, int]) -> History:
        return cls(
            version=version,
            track_ids=array("q", map(int, counts.keys())),
            counts=array("f", map(float, counts.values())),
        )

    def __len__(self) -> int:
        return len(self.track_ids)

    def as_dict(self) -> dict[int, float]:
        """``{track_id: play_count}``, the shape the ranking core scores."""
        return dict(zip(self.track_ids, self.counts, strict=True))


@dataclass(frozen=True, slots=True)
class BatchMixRecord:
    """A mix the batch job built for one listener and period (library ``/mixes``)."""

    kind: str  # "discover_weekly" | "daily_mix"
    position: int
    valid_for: str
    model_version: str
    allow_explicit: bool
    top_artist_ids: tuple[int, ...]
    track_ids: tuple[int, ...]
    generated_at: int  # unix ms

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BatchMixRecord:
        return cls(
            kind=str(d["kind"]),
            position=int(d["position"]),
            valid_for=str(d["valid_for"]),
            model_version=str(d["model_version"]),
            allow_explicit=bool(d["allow_explicit"]),
            top_artist_ids=tuple(int(a) for a in d["top_artist_ids"]),
            track_ids=tuple(int(t) for t in d["track_ids"]),
            generated_at=int(d["generated_at"]),
        )


@dataclass(frozen=True, slots=True)
class BatchMixes:
    """A listener's batch-built mixes for ``periods`` at one ``version`` of them (the library
    changes it whenever a batch run rewrites them); kept per listener like the history."""

    periods: tuple[str, ...]
    version: str
    items: tuple[BatchMixRecord, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    """What personal screens need of one listener, read in one call."""

    user: UserRecord
    recent: tuple[Play, ...]  # newest first
    history: History
    # The batch job's mixes for the periods asked for (this week, today); none before it ran.
    mixes: tuple[BatchMixRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    score: float


@dataclass(frozen=True, slots=True)
class SearchHits:
    query: str
    corrected: str | None
    tracks: tuple[SearchHit, ...]
    artists: tuple[SearchHit, ...]
    albums: tuple[SearchHit, ...]
    playlists: tuple[SearchHit, ...]
