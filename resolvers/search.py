"""Search: text relevance from the search backend, re-ranked for the listener.

score = w_rel · relevance + w_aff · affinity + w_pop · popularity, each term in [0, 1]:
relevance is the backend's score divided by the best score of its type, affinity comes from the
ranking core (0 for anonymous listeners), popularity is the catalog's 0–100 scaled. Weights are
settings (CROSSFADE_SEARCH_WEIGHT_*), so the formula can be explained and tuned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from resolvers.clients.errors import BadUserInput
from resolvers.clients.records import ArtistRecord, SearchHit
from resolvers.experiments import expose
from resolvers.history import profile
from resolvers.hydrate import present
from resolvers.playlists import playlist_views
from resolvers.search_weights import SearchWeights
from resolvers.views import AlbumView, HomeItemView, PlaylistView, TrackView

if TYPE_CHECKING:
    from resolvers.context import Context

# Search asks the backend for this many hits per type; connections page within them.
SEARCH_DEPTH = 50


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    corrected: str | None
    top_result: HomeItemView | None
    tracks: tuple[TrackView, ...]
    artists: tuple[ArtistRecord, ...]
    albums: tuple[AlbumView, ...]
    playlists: tuple[PlaylistView, ...]


def _relevance(hits: Sequence[SearchHit]) -> dict[int, float]:
    best = max((h.score for h in hits), default=0.0)
    return {h.id: (h.score / best if best > 0 else 0.0) for h in hits}


def _blend(
    weights: SearchWeights,
    relevance: dict[int, float],
    affinity: dict[int, float],
    popularity: dict[int, float],
) -> dict[int, float]:
    return {
        key: weights.relevance * rel
        + weights.affinity * affinity.get(key, 0.0)
        + weights.popularity * popularity.get(key, 0.0)
        for key, rel in relevance.items()
    }


async def search(ctx: Context, query: str) -> SearchResults:
    text = query.strip()
    limits = ctx.services.limits
    if not text:
        raise BadUserInput("`query` must not be empty.")
    if len(text) > limits.max_query_length:
        raise BadUserInput(f"`query` must be at most {limits.max_query_length} characters.")
    clients, entities, weights = ctx.services.clients, ctx.entities, ctx.services.search_weights
    variant = expose(ctx, ctx.viewer, "search")
    if variant.search_weights is not None:
        weights = SearchWeights(*variant.search_weights)
    hits, history = await asyncio.gather(
        clients.search.search(text, limit=SEARCH_DEPTH), _history(ctx)
    )
    track_hits = [h.id for h in hits.tracks]
    artist_hits = [h.id for h in hits.artists]
    album_hits = [h.id for h in hits.albums]
    _, playlists = await asyncio.gather(
        entities.load(tracks=track_hits, albums=album_hits, artists=artist_hits),
        playlist_views(ctx, [h.id for h in hits.playlists]),
    )
    tracks = present(entities, track_hits)
    artists = [entities.artist(a) for a in artist_hits]
    albums = [entities.album(a) for a in album_hits]
    core = ctx.services.ranking.core
    track_ids = [v.track.id for v in tracks]
    affinity = (
        dict(zip(track_ids, core.affinity(history, track_ids).tolist(), strict=True))
        if history and track_ids
        else {}
    )
    track_scores = _blend(
        weights,
        _relevance(hits.tracks),
        affinity,
        {v.track.id: v.track.popularity / 100 for v in tracks},
    )
    present_artists = [a for a in artists if a is not None]
    # An artist's affinity is the listener's share of plays on their tracks.
    artist_affinity = _artist_affinity(history, tracks)
    artist_scores = _blend(
        weights,
        _relevance(hits.artists),
        artist_affinity,
        {a.id: a.popularity / 100 for a in present_artists},
    )
    album_scores = _blend(
        weights,
        _relevance(hits.albums),
        {},
        {v.album.id: v.album.popularity / 100 for v in albums if v},
    )
    ranked_tracks = sorted(tracks, key=lambda v: -track_scores.get(v.track.id, 0.0))
    ranked_artists = sorted(present_artists, key=lambda a: -artist_scores.get(a.id, 0.0))
    ranked_albums = sorted(
        (v for v in albums if v), key=lambda v: -album_scores.get(v.album.id, 0.0)
    )
    wanted = (hits.corrected or text).casefold()
    candidates: list[tuple[float, int, HomeItemView]] = []
    if ranked_artists:
        a = ranked_artists[0]
        candidates.append((_name_match(wanted, a.name) + artist_scores[a.id] / 2, 0, a))
    if ranked_tracks:
        t = ranked_tracks[0]
        candidates.append((_name_match(wanted, t.track.name) + track_scores[t.track.id] / 2, 1, t))
    if ranked_albums:
        al = ranked_albums[0]
        candidates.append(
            (_name_match(wanted, al.album.name) + album_scores[al.album.id] / 2, 2, al)
        )
    if playlists:
        candidates.append((_name_match(wanted, playlists[0].name), 3, playlists[0]))
    top = max(candidates, key=lambda c: (c[0], -c[1]))[2] if candidates else None
    return SearchResults(
        query=text,
        corrected=hits.corrected,
        top_result=top,
        tracks=tuple(ranked_tracks),
        artists=tuple(ranked_artists),
        albums=tuple(ranked_albums),
        playlists=tuple(playlists),
    )


def _name_match(query: str, name: str) -> float:
    """How well a name answers the query: the top result prefers an exact name."""
    folded = name.casefold()
    if folded == query:
        return 1.0
    return 0.5 if folded.startswith(query) else 0.0


def _artist_affinity(history: dict[int, float], tracks: Sequence[TrackView]) -> dict[int, float]:
    if not history:
        return {}
    played = {v.track.id for v in tracks if v.track.id in history}
    weights: dict[int, float] = {}
    for v in tracks:
        if v.track.id in played:
            for a in v.artists:
                weights[a.id] = weights.get(a.id, 0.0) + history[v.track.id]
    top = max(weights.values(), default=0.0)
    return {k: float(np.sqrt(w / top)) for k, w in weights.items()} if top else {}


async def _history(ctx: Context) -> dict[int, float]:
    if ctx.viewer is None:
        return {}
    found = await profile(ctx, ctx.viewer)
    return {} if found is None else found.history.as_dict()
