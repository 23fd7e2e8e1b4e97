"""The ranking core every gateway request consults: loaded once, immutable, pure numpy.

Histories arrive as ``{track_id: play_count}`` built by the gateway (library plus plays made
seconds ago), so folding in fresh plays is just passing the new history: the models score a
history directly and nothing per user is stored here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ranking import artifact
from ranking.als import ALSFactors
from ranking.dataset import Catalog
from ranking.debias import debiased
from ranking.ease import EASE
from ranking.factors import ItemFactors
from ranking.mixes import DailyMix, blend, cluster_count, kmeans
from ranking.popularity import Popularity
from ranking.scorer import Scorer
from ranking.selection import capped_top, gumbel_order, stable_seed

Indices = NDArray[np.intp]
Vector = NDArray[np.float32]

DISCOVER_CANDIDATES = 150
DISCOVER_SHARPNESS = 2.0  # higher keeps Discover closer to the plain top of the ranking
MIX_FAMILIAR_SHARE = 0.6
MIX_TOP_ARTISTS = 3
# Ties among zero scores (items sharing no listeners with the history) go to popular items.
_TIE_BREAK = np.float32(1e-6)


@dataclass(frozen=True)
class ScoredTrack:
    track_id: int
    score: float


@dataclass(frozen=True, eq=False)
class RankingCore:
    """A loaded model version. Build with :meth:`load`; every method is read-only."""

    version: str
    metadata: Mapping[str, Any]
    catalog: Catalog
    scorer: Scorer
    embeddings: NDArray[np.float32]  # unit item vectors, for clustering and similarity
    cold_scores: Vector  # popularity model, the answer for an empty history
    popularity01: Vector  # catalog popularity in [0, 1]
    # Other scorers of the same artifact, by name, that experiments may serve instead.
    alternates: Mapping[str, Scorer] = field(default_factory=dict)
    _tie_break: Vector = field(init=False, repr=False)
    _explicit_idx: Indices = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Precomputed once so a request touches the catalog-sized arrays as few times as it
        # can: the tie-break is one in-place add, the explicit filter a short index list.
        tie = _TIE_BREAK * self.cold_scores
        tie.flags.writeable = False
        explicit = np.flatnonzero(self.catalog.explicit).astype(np.intp)
        explicit.flags.writeable = False
        object.__setattr__(self, "_tie_break", tie)
        object.__setattr__(self, "_explicit_idx", explicit)

    @classmethod
    def load(cls, models_dir: Path, version: str | None = None) -> RankingCore:
        """Load ``version``, by default the one named by ``models_dir/CURRENT``.

        The served scorer is EASE when the artifact has it, else ALS factors (catalogs too
        large for EASE, and every Spark-trained artifact), else PureSVD factors.
        Raises ``artifact.ModelNotFoundError`` (a ``FileNotFoundError``) when none exists.
        """
        art = artifact.load(Path(models_dir), version)
        a = art.arrays
        hyper = art.metadata.get("hyperparameters", {})
        factors = ItemFactors(a["item_factors"], a["factor_scale"]) if "item_factors" in a else None
        als = None
        if "als_factors" in a:
            als = ALSFactors.of(
                a["als_factors"],
                float(hyper["als_alpha"]),
                float(hyper["als_regularization"]),
                hyper.get("als_transform", "log1p"),
            )
        # Unit item vectors for clustering and similarity: PureSVD's when trained, else ALS's.
        vectors = factors if factors is not None else als
        if vectors is None:
            raise artifact.ModelNotFoundError(f"{art.version} has no item factors")
        scorer: Scorer
        extra: dict[str, Scorer] = {}
        if "ease_weights" in a:
            plain = EASE(
                a["ease_weights"], hyper.get("transform", "log1p"), float(hyper.get("lambda", 0.0))
            )
            beta = float(hyper.get("beta", 0.0))
            scorer = plain
            if beta > 0 and "ease_item_counts" in a:
                # The β training chose on validation; plain EASE stays servable by name.
                scorer = debiased(plain, a["ease_item_counts"], beta)
                extra[plain.name] = plain
        else:
            scorer = als if als is not None else vectors
        emb = vectors.embeddings()
        emb.flags.writeable = False
        cold = a["popularity_scores"].astype(np.float32)
        cold = cold / max(float(cold.max()), 1e-12)
        pop = (art.catalog.popularity / 100.0).astype(np.float32)
        for arr in (cold, pop):
            arr.flags.writeable = False
        alternates: dict[str, Scorer] = {
            **{m.name: m for m in (factors, als) if m is not None},
            "popularity": Popularity(cold),
            scorer.name: scorer,
            **extra,
        }
        return cls(art.version, art.metadata, art.catalog, scorer, emb, cold, pop, alternates)

    def model_names(self) -> list[str]:
        """Names ``model=`` accepts besides None (the served default)."""
        return sorted(self.alternates)

    # -- lookups -------------------------------------------------------------------------

    @property
    def n_items(self) -> int:
        return len(self.catalog.track_ids)

    def _positions(
        self, track_ids: Sequence[int] | Collection[int]
    ) -> tuple[Indices, NDArray[np.bool_]]:
        ids = np.fromiter(track_ids, dtype=np.int64, count=len(track_ids))
        pos = np.searchsorted(self.catalog.track_ids, ids).astype(np.intp)
        clipped = np.minimum(pos, self.n_items - 1)
        known = (pos < self.n_items) & (self.catalog.track_ids[clipped] == ids)
        return clipped, known

    def _history(self, history: Mapping[int, float]) -> tuple[Indices, Vector]:
        """Known, positively weighted items of a history (new tracks since training drop)."""
        if not history:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
        pos, known = self._positions(list(history.keys()))
        w = np.fromiter(history.values(), dtype=np.float32, count=len(history))
        keep = known & (w > 0)
        # In catalog order, so the result never depends on the order the history arrived in
        # (float sums and tie-breaks would): a batch job and a request agree to the bit.
        order = np.argsort(pos[keep], kind="stable")
        return pos[keep][order], w[keep][order]

    def _ids(self, idx: Indices) -> list[int]:
        return [int(t) for t in self.catalog.track_ids[idx]]

    def _scorer(self, model: str | None) -> Scorer:
        # An experiment naming a model this artifact lacks gets the default, not an error:
        # a retrain must never break serving.
        return self.scorer if model is None else self.alternates.get(model, self.scorer)

    def _scores(self, idx: Indices, w: Vector, model: str | None = None) -> Vector:
        if len(idx) == 0:
            return self.cold_scores.copy()
        scores = self._scorer(model).score_items(idx, w)
        np.add(scores, self._tie_break, out=scores)
        return scores

    def _masked(
        self,
        idx: Indices,
        w: Vector,
        exclude: Collection[int],
        allow_explicit: bool,
        drop_history: bool,
        model: str | None = None,
    ) -> Vector:
        scores = self._scores(idx, w, model)
        if drop_history:
            scores[idx] = -np.inf
        if exclude:
            pos, known = self._positions(exclude)
            scores[pos[known]] = -np.inf
        if not allow_explicit:
            scores[self._explicit_idx] = -np.inf
        return scores

    # -- shelves -------------------------------------------------------------------------

    def recommend(
        self,
        history: Mapping[int, float],
        k: int,
        *,
        exclude: Collection[int] = (),
        allow_explicit: bool = True,
        max_per_artist: int | None = None,
        exclude_history: bool = True,
        model: str | None = None,
    ) -> list[ScoredTrack]:
        """The listener's top ``k`` tracks; played tracks are left out unless asked for.

        ``model`` names an alternate scorer (see :meth:`model_names`); None is the default.
        """
        idx, w = self._history(history)
        scores = self._masked(idx, w, exclude, allow_explicit, exclude_history, model)
        top = capped_top(scores, k, self.catalog.primary_artist, max_per_artist)
        return [ScoredTrack(int(self.catalog.track_ids[i]), float(scores[i])) for i in top]

    def discover_weekly(
        self,
        history: Mapping[int, float],
        user_key: str,
        iso_year: int,
        iso_week: int,
        k: int = 30,
        allow_explicit: bool = True,
        model: str | None = None,
    ) -> list[int]:
        """Unplayed tracks, ≤ 2 per artist, drawn from the top candidates with noise seeded
        by (user, ISO week): the same all week, a different draw the next."""
        idx, w = self._history(history)
        scores = self._masked(idx, w, (), allow_explicit, drop_history=True, model=model)
        cands = capped_top(scores, max(DISCOVER_CANDIDATES, k), self.catalog.primary_artist, None)
        order = cands[
            gumbel_order(
                scores[cands], stable_seed(user_key, iso_year, iso_week), DISCOVER_SHARPNESS
            )
        ]
        picked = capped_top(_rank_scores(order, self.n_items), k, self.catalog.primary_artist, 2)
        return self._ids(picked)

    def daily_mixes(
        self,
        history: Mapping[int, float],
        *,
        allow_explicit: bool = True,
        max_mixes: int = 6,
        size: int = 50,
    ) -> list[DailyMix]:
        """2-6 mixes, one per taste cluster of the history, ~60% played and ~40% new."""
        idx, w = self._history(history)
        if not allow_explicit:
            clean = ~self.catalog.explicit[idx]
            idx, w = idx[clean], w[clean]
        if len(idx) == 0:
            return self._genre_mixes(allow_explicit, max_mixes, size)
        labels = kmeans(self.embeddings[idx], np.log1p(w), cluster_count(len(idx), max_mixes))
        mixes: list[DailyMix] = []
        used: set[int] = set(idx.tolist())
        for c in range(int(labels.max()) + 1):
            members, mw = idx[labels == c], w[labels == c]
            familiar = members[np.lexsort((members, -mw))].tolist()
            scores = self._masked(members, mw, (), allow_explicit, drop_history=True)
            scores[list(used)] = -np.inf
            fresh = capped_top(scores, size, self.catalog.primary_artist, 3).tolist()
            tracks = blend(familiar, fresh, size, MIX_FAMILIAR_SHARE)
            used.update(t for t in tracks)
            mixes.append(
                DailyMix(
                    c + 1,
                    self._top_artists(members, mw, MIX_TOP_ARTISTS),
                    self._ids(np.asarray(tracks, dtype=np.intp)),
                )
            )
        return mixes

    def _genre_mixes(self, allow_explicit: bool, max_mixes: int, size: int) -> list[DailyMix]:
        """Cold start: the most listened genres, each a mix of its popular tracks."""
        mixes: list[DailyMix] = []
        for n, g in enumerate(self.top_genres({}, min(2, max_mixes)), start=1):
            scores = self._masked(
                np.empty(0, np.intp),
                np.empty(0, np.float32),
                (),
                allow_explicit,
                drop_history=False,
            )
            scores[self.catalog.genre_id != g] = -np.inf
            top = capped_top(scores, size, self.catalog.primary_artist, 3)
            artists = self._top_artists(top[:10], self.cold_scores[top[:10]], MIX_TOP_ARTISTS)
            mixes.append(DailyMix(n, artists, self._ids(top)))
        return mixes

    # -- item lookups ------------------------------------------------------------------

    def similar_tracks(
        self,
        track_id: int,
        k: int,
        *,
        exclude: Collection[int] = (),
        allow_explicit: bool = True,
    ) -> list[int]:
        """Tracks listeners of ``track_id`` also play; [] for a track the model never saw."""
        pos, known = self._positions([track_id])
        if not known[0]:
            return []
        i = int(pos[0])
        if isinstance(self.scorer, EASE) and np.any(self.scorer.weights[i]):
            scores = self.scorer.weights[i].copy()
        elif np.any(self.embeddings[i]):
            scores = self.embeddings @ self.embeddings[i]
        else:
            scores = np.where(self.catalog.genre_id == self.catalog.genre_id[i], 1.0, 0.0)
            scores = scores.astype(np.float32)
        scores += self._tie_break
        scores[i] = -np.inf
        if exclude:
            ex, ok = self._positions(exclude)
            scores[ex[ok]] = -np.inf
        if not allow_explicit:
            scores[self._explicit_idx] = -np.inf
        return self._ids(capped_top(scores, k, self.catalog.primary_artist, None))

    def affinity(self, history: Mapping[int, float], track_ids: Sequence[int]) -> Vector:
        """Personal fit in [0, 1] per track: its percentile in the listener's ranking, and at
        least 0.5 (rising with play count) for tracks already played. 0 for unknown IDs."""
        pos, known = self._positions(track_ids)
        idx, w = self._history(history)
        if len(idx) == 0:
            return np.where(known, self.popularity01[pos], 0.0).astype(np.float32)
        scores = self._scores(idx, w)
        ranked = np.sort(scores)
        pct = np.searchsorted(ranked, scores[pos], side="left") / max(self.n_items - 1, 1)
        played = np.zeros(self.n_items, dtype=np.float32)
        played[idx] = 0.5 + 0.5 * np.log1p(w) / np.log1p(float(w.max()))
        out = np.maximum(pct, played[pos])
        return np.where(known, np.clip(out, 0.0, 1.0), 0.0).astype(np.float32)

    def popularity(self, track_ids: Sequence[int]) -> Vector:
        pos, known = self._positions(track_ids)
        return np.where(known, self.popularity01[pos], 0.0).astype(np.float32)

    def top_artists(self, history: Mapping[int, float], k: int) -> list[int]:
        """Most played artists (every credited artist counts); popular ones when cold."""
        idx, w = self._history(history)
        if len(idx) == 0:
            idx, w = np.arange(self.n_items, dtype=np.intp), self.cold_scores
        return self._top_artists(idx, w, k)

    def top_genres(self, history: Mapping[int, float], k: int) -> list[int]:
        idx, w = self._history(history)
        if len(idx) == 0:
            idx, w = np.arange(self.n_items, dtype=np.intp), self.cold_scores
        return _top_keys(self.catalog.genre_id[idx], w, k)

    def _top_artists(self, idx: Indices, w: Vector, k: int) -> list[int]:
        cat = self.catalog
        starts, ends = cat.artist_indptr[idx], cat.artist_indptr[idx + 1]
        lengths = ends - starts
        flat = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        flat = flat + np.arange(int(lengths.sum()))
        return _top_keys(cat.artist_ids[flat], np.repeat(w, lengths), k)


def _top_keys(keys: NDArray[np.int64], weights: NDArray[np.floating], k: int) -> list[int]:
    """Keys by total weight, heaviest first, ties to the smaller key."""
    if len(keys) == 0 or k <= 0:
        return []
    uniq, inv = np.unique(keys, return_inverse=True)
    total = np.bincount(inv, weights=weights)
    order = np.lexsort((uniq, -total))[:k]
    return [int(uniq[j]) for j in order if uniq[j] >= 0]


def _rank_scores(order: Indices, n: int) -> Vector:
    """A score vector that reproduces ``order`` (first = best); other items are -inf."""
    scores = np.full(n, -np.inf, dtype=np.float32)
    scores[order] = np.arange(len(order), 0, -1, dtype=np.float32)
    return scores
