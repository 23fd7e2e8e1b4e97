"""Redis killed under two replicas: the cache keeps serving what needs no invalidation from
other replicas (a guest's Home), serves no private or versioned answer until its subscription
is back, and serves nothing stale at any point (every answer equals a fresh execution)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from resolvers.global_id import to_global_id
from tests.cache.conftest import (
    Replicas,
    listeners,
    served,
    start_replicas,
    track_ids,
    wait_subscribed,
)
from tests.support.process import stop_all
from tests.support.redis_server import RedisServer, find_redis_server
from tests.support.store import copy_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outage(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Replicas, RedisServer]]:
    """Replicas over a redis-server of their own, which the test kills and starts again."""
    binary = find_redis_server(install=True)
    if binary is None:
        pytest.skip("redis-server is not installed and cannot be (needs root and apt)")
    redis = RedisServer(binary, tmp_path_factory.mktemp("outage-redis")).start()
    store = copy_store(data_dir, tmp_path_factory.mktemp("outage-store"))
    try:
        # Rate limits on: with Redis gone they keep working from the local buckets.
        a, b, fresh = start_replicas(store, redis.redis_url, CROSSFADE_RATE_LIMIT="true")
    except BaseException:
        redis.stop()
        raise
    try:
        yield Replicas(a.url, b.url, fresh.url, store), redis
    finally:
        stop_all([a, b, fresh])
        redis.stop()


def test_with_redis_killed_public_answers_stay_private_ones_wait_and_nothing_is_stale(
    outage: tuple[Replicas, RedisServer],
) -> None:
    replicas, redis = outage
    (someone,) = listeners(replicas.store, 1)
    who = someone.handle
    shared = {"id": to_global_id("Playlist", someone.public_playlist)}
    added, played = track_ids(replicas.store, 2, offset=900)

    def read(url: str, name: str, variables: dict[str, str] | None, viewer: str | None) -> str:
        """The answer's x-cache, after checking it equals a fresh execution."""
        got = served(url, name, variables, who=viewer)
        assert got.json() == served(replicas.fresh, name, variables, who=viewer).json()
        return got.headers["x-cache"]

    cases = [("HomeFeed", None, None), ("HomeFeed", None, who), ("Playlist", shared, None)]
    # given: a guest's Home, the listener's Home and a public playlist cached on B
    for name, variables, viewer in cases:
        read(replicas.b, name, variables, viewer)
        assert read(replicas.b, name, variables, viewer) == "hit"

    # when: Redis dies
    redis.kill()
    for url in (replicas.a, replicas.b):
        wait_subscribed(url, subscribed=False)
    # then: the guest's Home (no versioned data) is still served from the cache; the
    # listener's Home and the playlist (versioned by writes) are executed, every time
    assert read(replicas.b, "HomeFeed", None, None) == "hit"
    for _ in range(2):
        assert read(replicas.b, "HomeFeed", None, who) == "miss"
        assert read(replicas.b, "Playlist", shared, None) == "miss"

    # when: the listener edits the public playlist on A while Redis is down
    edit = {"playlistId": shared["id"], "trackIds": [to_global_id("Track", added)]}
    served(replicas.a, "PlaylistEdits", edit, who=who, operation_name="AddTracks")
    # then: B, which cannot have heard of it, does not serve what it had
    assert read(replicas.b, "Playlist", shared, None) == "miss"
    assert read(replicas.b, "Playlist", shared, who) == "miss"

    # when: Redis is back
    redis.start()
    for url in (replicas.a, replicas.b):
        wait_subscribed(url)
    # then: private answers are cached again, and writes invalidate across replicas again
    assert read(replicas.b, "HomeFeed", None, who) == "miss"
    assert read(replicas.b, "HomeFeed", None, who) == "hit"
    play = {"trackId": to_global_id("Track", played)}
    served(replicas.a, "PlaylistEdits", play, who=who, operation_name="RecordPlay")
    assert read(replicas.b, "HomeFeed", None, who) == "miss"
    assert read(replicas.b, "HomeFeed", None, None) == "hit"  # the guest's Home all along
