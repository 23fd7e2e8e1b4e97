"""The ranking core on four clear tastes: what it recommends, mixes and refuses to serve."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from ranking import RankingCore
from tests.support.tastes import artist_of, genre_of, genre_tracks

ROCKER = {t: 3.0 for t in genre_tracks(0)[:12]}


def test_discover_weekly_has_no_played_tracks_and_two_per_artist_at_most(
    core: RankingCore,
) -> None:
    picks = core.discover_weekly(ROCKER, "user-7", 2026, 48, k=20)
    assert len(picks) == 20
    assert not set(picks) & set(ROCKER)
    assert max(Counter(artist_of(t) for t in picks).values()) <= 2


def test_discover_weekly_is_stable_within_a_week_and_changes_the_next(core: RankingCore) -> None:
    this_week = core.discover_weekly(ROCKER, "user-7", 2026, 48, k=20)
    assert core.discover_weekly(dict(ROCKER), "user-7", 2026, 48, k=20) == this_week
    assert core.discover_weekly(ROCKER, "user-7", 2026, 49, k=20) != this_week
    assert core.discover_weekly(ROCKER, "user-8", 2026, 48, k=20) != this_week


def test_new_plays_fold_into_recommendations(core: RankingCore) -> None:
    before = [s.track_id for s in core.recommend(ROCKER, 10)]
    # given the listener just binged genre 2
    after_history = ROCKER | {t: 5.0 for t in genre_tracks(2)[:10]}
    after = [s.track_id for s in core.recommend(after_history, 10)]
    assert after != before
    assert sum(genre_of(t) == 2 for t in after) > sum(genre_of(t) == 2 for t in before)
    assert all(genre_of(t) == 0 for t in before[:5])


def test_recommend_respects_exclusions_explicit_filter_and_artist_cap(core: RankingCore) -> None:
    excluded = [s.track_id for s in core.recommend(ROCKER, 3)]
    recs = core.recommend(ROCKER, 15, exclude=excluded, allow_explicit=False, max_per_artist=1)
    ids = [s.track_id for s in recs]
    assert len(ids) == 15
    assert not set(ids) & (set(excluded) | set(ROCKER))
    assert all(t % 5 != 0 for t in ids)  # every fifth track is explicit in the fixture
    assert max(Counter(artist_of(t) for t in ids).values()) == 1
    assert [s.score for s in recs] == sorted((s.score for s in recs), reverse=True)


def test_daily_mixes_cover_each_taste_and_are_deterministic(core: RankingCore) -> None:
    history = {t: 2.0 for g in (0, 3) for t in genre_tracks(g)[:14]}
    mixes = core.daily_mixes(history, size=20)
    assert 2 <= len(mixes) <= 6
    assert core.daily_mixes(history, size=20) == mixes
    assert [m.index for m in mixes] == list(range(1, len(mixes) + 1))
    for mix in mixes:
        assert len(mix.track_ids) == 20
        assert len(set(mix.track_ids)) == 20
        played = sum(t in history for t in mix.track_ids)
        assert 8 <= played <= 14  # ~60% familiar
        assert mix.top_artist_ids
    leading_genres = {genre_of(mixes[0].track_ids[0]), genre_of(mixes[1].track_ids[0])}
    assert leading_genres == {0, 3}


def test_small_history_still_gets_two_mixes(core: RankingCore) -> None:
    assert len(core.daily_mixes({genre_tracks(1)[0]: 1.0, genre_tracks(2)[0]: 1.0})) == 2


def test_cold_start_falls_back_to_popularity_everywhere(core: RankingCore) -> None:
    recs = core.recommend({}, 10)
    assert len(recs) == 10
    assert len(core.discover_weekly({}, "new-user", 2026, 1, k=10)) == 10
    assert len(core.daily_mixes({})) >= 1
    assert core.top_artists({}, 3) and core.top_genres({}, 2)
    aff = core.affinity({}, [recs[0].track_id, 999_999])
    assert aff[1] == 0.0 and 0.0 <= aff[0] <= 1.0


def test_unknown_track_ids_in_history_are_ignored(core: RankingCore) -> None:
    noisy = ROCKER | {999_999: 10.0, -5: 1.0}
    assert core.recommend(noisy, 10) == core.recommend(ROCKER, 10)
    assert core.recommend({999_999: 3.0}, 5) == core.recommend({}, 5)


def test_affinity_prefers_the_listeners_taste(core: RankingCore) -> None:
    tracks = [genre_tracks(0)[20], genre_tracks(3)[20], next(iter(ROCKER))]
    aff = core.affinity(ROCKER, tracks)
    assert aff.shape == (3,) and np.all((aff >= 0) & (aff <= 1))
    assert aff[0] > aff[1]
    assert aff[2] >= 0.5  # played
    pop = core.popularity([*tracks, 999_999])
    assert pop[-1] == 0.0 and np.all((pop >= 0) & (pop <= 1))


def test_similar_tracks_stay_in_the_genre(core: RankingCore) -> None:
    seed = genre_tracks(1)[3]
    similar = core.similar_tracks(seed, 8, exclude=[genre_tracks(1)[4]])
    assert len(similar) == 8 and seed not in similar and genre_tracks(1)[4] not in similar
    assert sum(genre_of(t) == 1 for t in similar) >= 6
    assert core.similar_tracks(999_999, 5) == []


def test_top_artists_and_genres_follow_play_counts(core: RankingCore) -> None:
    history = {genre_tracks(2)[0]: 9.0, genre_tracks(2)[1]: 1.0, genre_tracks(1)[0]: 3.0}
    assert core.top_artists(history, 2) == [
        artist_of(genre_tracks(2)[0]),
        artist_of(genre_tracks(1)[0]),
    ]
    assert core.top_genres(history, 5) == [3, 2]  # genre IDs are 1-based in the fixture


def test_core_is_immutable(core: RankingCore) -> None:
    with pytest.raises(AttributeError):
        # The type checker refuses this too; the test is that it also fails at run time.
        core.version = "other"  # type: ignore[misc]
    assert not core.catalog.track_ids.flags.writeable


def test_similar_tracks_honour_the_explicit_filter(core: RankingCore) -> None:
    seed = genre_tracks(0)[1]
    unfiltered = core.similar_tracks(seed, 20)
    assert any(t % 5 == 0 for t in unfiltered)  # every fifth track is explicit in the fixture
    filtered = core.similar_tracks(seed, 20, allow_explicit=False)
    assert len(filtered) == 20 and not any(t % 5 == 0 for t in filtered)


def test_experiments_can_serve_an_alternate_model(core: RankingCore) -> None:
    assert {"ease", "pure_svd", "popularity"} <= set(core.model_names())
    popular = [s.track_id for s in core.recommend({}, 40)]  # cold start is popularity
    by_popularity = [s.track_id for s in core.recommend(ROCKER, 10, model="popularity")]
    assert by_popularity == [t for t in popular if t not in ROCKER][:10]
    assert core.recommend(ROCKER, 10, model="ease") == core.recommend(ROCKER, 10)
    assert core.recommend(ROCKER, 10, model="unknown") == core.recommend(ROCKER, 10)
    assert core.recommend(ROCKER, 10, model="pure_svd") != core.recommend(ROCKER, 10)
    dw = core.discover_weekly(ROCKER, "u", 2026, 48, k=10, model="pure_svd")
    assert len(dw) == 10 and not set(dw) & set(ROCKER)
