"""Simulated musical taste: latent clusters, and each listener's weights over the catalog.

Collaborative filtering can only learn structure that exists, so listeners are drawn from a
few dozen latent taste clusters. A cluster fixes a genre mix, a point in audio-feature space
and a "scene" of artists; its members share the scene, so people who play artist A also play
artist B when both belong to the same scene. On top of that each listener gets their own mix,
loyal favourite artists and a popularity bias, so no two listeners are identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backends.ingest.catalog import Catalog, FloatArray, IntArray

CLUSTERS = 24
SCENE_SIZE = 40
# The audio features taste is expressed in; all four are on a 0..1 scale.
TASTE_FEATURES = ("energy", "valence", "danceability", "acousticness")
FAVOURITE_BOOST = 15.0  # weight multiplier of a favourite artist's tracks
SCENE_BOOST = 2.0  # and of the rest of the cluster's scene


@dataclass(frozen=True)
class Cluster:
    genre_mix: FloatArray  # genres, sums to 1
    feature_center: FloatArray  # TASTE_FEATURES
    scene: IntArray  # artist indexes


@dataclass(frozen=True)
class Taste:
    cluster: int
    genre_mix: FloatArray
    favourite_artists: IntArray
    weights: FloatArray  # per track, sums to 1: how likely a free choice picks the track


@dataclass(frozen=True)
class TasteSpace:
    """Catalog arrays shaped for taste scoring, computed once per build."""

    track_features: FloatArray  # tracks x TASTE_FEATURES
    artist_features: FloatArray  # artists x TASTE_FEATURES, mean over their tracks
    artist_genres: FloatArray  # artists x genres, share of their tracks
    artist_tracks: FloatArray  # tracks credited first to the artist
    boost_damping: FloatArray  # per artist, scales favourite and scene boosts
    clusters: list[Cluster]
    cluster_share: FloatArray  # how many listeners each cluster gets, sums to 1


def _kernel(points: FloatArray, center: FloatArray, width: float) -> FloatArray:
    distance2: FloatArray = ((points - center) ** 2).sum(axis=1)
    return np.exp(-distance2 / (2.0 * width * width))


def _make_cluster(
    rng: np.random.Generator,
    catalog: Catalog,
    lead_genre: int,
    track_features: FloatArray,
    artist_features: FloatArray,
    artist_genres: FloatArray,
    artist_tracks: FloatArray,
) -> Cluster:
    genre_count = len(catalog.genres)
    others = np.delete(np.arange(genre_count), lead_genre)
    extra = rng.choice(others, size=int(rng.choice([0, 1, 2], p=[0.4, 0.4, 0.2])), replace=False)
    focus = np.concatenate([[lead_genre], extra]).astype(np.int64)
    alpha = np.full(genre_count, 0.1)
    alpha[focus] = 6.0
    genre_mix = rng.dirichlet(alpha)
    # Centre the cluster where its genres' tracks actually are, so its kernel is not empty.
    in_mix = catalog.genre_matrix @ genre_mix
    center = (track_features * in_mix[:, None]).sum(axis=0) / in_mix.sum()
    center = np.clip(center + rng.normal(0.0, 0.12, size=center.shape), 0.02, 0.98)
    popularity = (np.asarray(catalog.artist_popularity, dtype=np.float64) + 5.0) / 105.0
    affinity = (artist_genres @ genre_mix) * _kernel(artist_features, center, 0.25) * popularity
    affinity[artist_tracks == 0] = 0.0
    size = min(SCENE_SIZE, int(np.count_nonzero(affinity)))
    scene = rng.choice(len(affinity), size=size, replace=False, p=affinity / affinity.sum())
    return Cluster(genre_mix=genre_mix, feature_center=center, scene=scene.astype(np.int64))


def make_space(rng: np.random.Generator, catalog: Catalog) -> TasteSpace:
    track_features = np.column_stack([catalog.features[name] for name in TASTE_FEATURES])
    artist_count = len(catalog.artists)
    artist_tracks = np.bincount(catalog.primary_artist, minlength=artist_count).astype(np.float64)
    sums = np.zeros((artist_count, track_features.shape[1]))
    np.add.at(sums, catalog.primary_artist, track_features)
    genres = np.zeros((artist_count, len(catalog.genres)))
    np.add.at(genres, catalog.primary_artist, catalog.genre_matrix)
    # Artists only ever credited as featured have no tracks of their own; keep them at zero.
    divisor = np.maximum(artist_tracks, 1.0)[:, None]
    artist_features = sums / divisor
    artist_genres = genres / divisor
    # Clusters take turns leading with each genre, so no genre is left without listeners.
    clusters = [
        _make_cluster(
            rng,
            catalog,
            i % len(catalog.genres),
            track_features,
            artist_features,
            artist_genres,
            artist_tracks,
        )
        for i in range(CLUSTERS)
    ]
    return TasteSpace(
        track_features=track_features,
        artist_features=artist_features,
        # A favourite artist with 100 tracks must not get 100 boosted tracks: that made one
        # artist 7% of all plays. Past a few tracks the per-track boost shrinks.
        boost_damping=np.minimum(1.0, np.sqrt(3.0 / np.maximum(artist_tracks, 1.0))),
        artist_genres=artist_genres,
        artist_tracks=artist_tracks,
        clusters=clusters,
        cluster_share=rng.dirichlet(np.full(CLUSTERS, 2.0)),
    )


def make_taste(
    rng: np.random.Generator, catalog: Catalog, space: TasteSpace, explicit_filter: bool
) -> Taste:
    """One listener's taste, drawn around a cluster."""
    cluster_index = int(rng.choice(len(space.clusters), p=space.cluster_share))
    cluster = space.clusters[cluster_index]
    genre_mix = rng.dirichlet(cluster.genre_mix * 20.0 + 0.05)
    center = np.clip(cluster.feature_center + rng.normal(0.0, 0.08, size=4), 0.0, 1.0)
    width = float(rng.uniform(0.18, 0.35))
    # Exponent on popularity: near 0 digs deep into the catalog, near 2 sticks to the hits.
    bias = float(rng.uniform(0.2, 1.8))
    base = (
        (catalog.genre_matrix @ genre_mix)
        * _kernel(space.track_features, center, width)
        * ((catalog.popularity + 1.0) / 101.0) ** bias
    )
    if explicit_filter:
        base[catalog.explicit] = 0.0
    # Favourites: mostly from the cluster's scene (what makes them shared), some personal.
    favourite_count = int(rng.integers(3, 13))
    from_scene = min(len(cluster.scene), round(favourite_count * 0.75))
    scene_picks = rng.choice(cluster.scene, size=from_scene, replace=False)
    own_tracks = rng.choice(
        catalog.track_count, size=favourite_count - from_scene, p=base / base.sum()
    )
    favourites = np.unique(np.concatenate([scene_picks, catalog.primary_artist[own_tracks]]))
    is_scene = np.isin(catalog.primary_artist, cluster.scene)
    is_favourite = np.isin(catalog.primary_artist, favourites)
    damping = space.boost_damping[catalog.primary_artist]
    weights = (
        base
        * (1.0 + SCENE_BOOST * damping * is_scene)
        * (1.0 + FAVOURITE_BOOST * damping * is_favourite)
    )
    if explicit_filter:
        weights[catalog.explicit] = 0.0
    return Taste(
        cluster=cluster_index,
        genre_mix=genre_mix,
        favourite_artists=favourites,
        weights=weights / weights.sum(),
    )
