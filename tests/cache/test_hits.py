"""The response cache on one gateway: a repeat is answered without running anything, to the
viewer it was made for only, with headers that say so; what must not be reused never is."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from resolvers.global_id import to_global_id
from tests.cache.conftest import ask, counted, listeners, track_ids
from tests.support.app import Gateway, asgi_client
from tests.support.calls import CallMeter
from tests.support.graphql import document_hash, persisted_query
from tests.support.repo import operation
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio


async def test_a_repeated_home_feed_is_served_from_the_cache_without_a_backend_call(
    gateway: Gateway,
) -> None:
    cached, fresh = await gateway(), await gateway(response_cache=False)
    hits, misses = counted("hits", "HomeFeed"), counted("misses", "HomeFeed")
    first = await ask(cached, "HomeFeed", who="user-1")
    with CallMeter() as meter:
        again = await ask(cached, "HomeFeed", who="user-1")
    truth = await ask(fresh, "HomeFeed", who="user-1")
    assert first.headers["x-cache"] == "miss" and again.headers["x-cache"] == "hit"
    assert meter.total == 0
    assert again.content == first.content
    assert again.json() == truth.json()
    # Private to user-1, for at most the policy's five minutes, and how old it is.
    kind, max_age = again.headers["cache-control"].split(", max-age=")
    assert kind == "private" and 0 < int(max_age) <= 300
    assert int(again.headers["age"]) >= 0
    assert "Authorization" in again.headers["vary"]
    assert "cache-control" in first.headers and "age" not in first.headers
    assert counted("hits", "HomeFeed") - hits == 1
    assert counted("misses", "HomeFeed") - misses == 1


async def test_another_listener_sending_the_same_request_gets_their_own_answer(
    gateway: Gateway, store: Path
) -> None:
    one, two = listeners(store, 2)
    # The Node operation on user one's private playlist: theirs to see, nobody else's.
    secret = {"id": to_global_id("Playlist", one.private_playlist)}
    cached, fresh = await gateway(), await gateway(response_cache=False)
    answers: dict[str | None, list[tuple[str, str, bytes]]] = {}
    for who in (one.handle, two.handle, None, one.handle):
        home = await ask(cached, "HomeFeed", who=who)
        node = await ask(cached, "Node", secret, who=who)
        truth_home = await ask(fresh, "HomeFeed", who=who)
        truth_node = await ask(fresh, "Node", secret, who=who)
        assert home.json() == truth_home.json()
        assert node.json() == truth_node.json()
        answers.setdefault(who, []).append(
            (home.headers["x-cache"], node.headers["x-cache"], home.content)
        )
    # user one's repeat was a hit; the others' first asks were misses, never user one's bytes.
    assert answers[one.handle][1][:2] == ("hit", "hit")
    assert [a[:2] for a in answers[two.handle]] == [("miss", "miss")]
    assert [a[:2] for a in answers[None]] == [("miss", "miss")]
    assert answers[two.handle][0][2] != answers[one.handle][0][2]
    assert answers[None][0][2] != answers[one.handle][0][2]


async def test_guests_share_one_answer_that_is_public_for_http_caches(gateway: Gateway) -> None:
    cached = await gateway(client_ip="192.0.2.1")
    first = await ask(cached, "Search", {"q": "love"}, who=None)
    # another guest, from another address, behind the same gateway
    async with asgi_client(cached.app, client_ip="198.51.100.7") as elsewhere:
        second = await ask(elsewhere, "Search", {"q": "love"}, who=None)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert second.headers["cache-control"] == "public, max-age=300"
    assert "Authorization" in second.headers["vary"]


async def test_variables_are_keyed_canonically(gateway: Gateway) -> None:
    cached = await gateway()
    first = await ask(cached, "Search", {"q": "metal", "first": 3}, who="user-2")
    reordered = await ask(cached, "Search", {"first": 3, "q": "metal"}, who="user-2")
    other = await ask(cached, "Search", {"q": "metal", "first": 4}, who="user-2")
    assert [r.headers["x-cache"] for r in (first, reordered, other)] == ["miss", "hit", "miss"]


async def test_a_get_naming_a_persisted_query_is_answered_before_strawberry(
    gateway: Gateway,
) -> None:
    query = operation("Search")
    extensions = persisted_query(document_hash(query))
    params = {
        "variables": orjson.dumps({"q": "love"}).decode(),
        "extensions": orjson.dumps(extensions).decode(),
    }
    cached = await gateway()
    registered = await cached.post(
        "/graphql", json={"query": query, "variables": {"q": "love"}, "extensions": extensions}
    )
    with CallMeter() as meter:
        by_hash = await cached.get("/graphql", params=params)
    assert registered.headers["x-cache"] == "miss"
    assert by_hash.status_code == 200 and by_hash.headers["x-cache"] == "hit"
    assert by_hash.json() == registered.json()
    assert meter.total == 0


async def test_a_hit_is_charged_as_a_request_but_not_its_cost(gateway: Gateway) -> None:
    # given: request buckets of 4, and a cost bucket that holds one Home screen (1,657)
    limits = {
        "rate_limit_listener_rps": 0.001,
        "rate_limit_listener_burst": 4,
        "rate_limit_listener_cost_ps": 0.001,
        "rate_limit_listener_cost_burst": 2500,
        "max_query_cost": 2500,
    }
    cached = await gateway(**limits)
    home = {"query": operation("HomeFeed")}
    answers = [await cached.post("/graphql", json=home, headers=bearer("user-3")) for _ in range(5)]
    # the repeats cost no execution (no cost refusal) but each counts as a request
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert [a.headers.get("x-cache") for a in answers[:4]] == ["miss", "hit", "hit", "hit"]
    assert answers[4].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_mutations_and_answers_with_errors_are_never_kept(
    gateway: Gateway, store: Path
) -> None:
    (track,) = track_ids(store, 1, offset=40)
    play = {"trackId": to_global_id("Track", track)}
    missing = {"id": to_global_id("Track", 10**9)}
    bad = {"id": "not a global id"}
    cached = await gateway()
    plays = [
        await ask(cached, "PlaylistEdits", play, who="user-4", operation_name="RecordPlay")
        for _ in range(2)
    ]
    errors = [await ask(cached, "Node", bad, who="user-4") for _ in range(2)]
    nulls = [await ask(cached, "Node", missing, who="user-4") for _ in range(2)]
    assert [p.headers["x-cache"] for p in plays] == ["miss", "miss"]
    assert plays[0].headers["cache-control"] == "no-store"
    assert all(p.json()["data"]["recordPlay"]["track"]["id"] == play["trackId"] for p in plays)
    assert [e.headers["x-cache"] for e in errors] == ["miss", "miss"]
    assert errors[1].headers["cache-control"] == "no-store"
    assert errors[1].json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # a clean null is an answer like any other
    assert [n.headers["x-cache"] for n in nulls] == ["miss", "hit"]
    assert nulls[1].json()["data"] == {"node": None}


async def test_a_write_shows_in_the_very_next_read(gateway: Gateway, store: Path) -> None:
    (track,) = track_ids(store, 1, offset=77)
    play = {"trackId": to_global_id("Track", track)}
    cached, fresh = await gateway(), await gateway(response_cache=False)
    await ask(cached, "HomeFeed", who="user-5")
    warm = await ask(cached, "HomeFeed", who="user-5")
    await ask(cached, "PlaylistEdits", play, who="user-5", operation_name="RecordPlay")
    after = await ask(cached, "HomeFeed", who="user-5")
    truth = await ask(fresh, "HomeFeed", who="user-5")
    assert (warm.headers["x-cache"], after.headers["x-cache"]) == ("hit", "miss")
    assert after.json() == truth.json()
    recently = next(
        e["node"] for e in after.json()["data"]["home"]["sections"]["edges"]
        if e["node"]["kind"] == "RECENTLY_PLAYED"
    )  # fmt: skip
    assert recently["items"]["edges"][0]["node"]["id"] == play["trackId"]


async def test_a_degraded_answer_is_not_kept(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The library backend fails every call: Home leaves out the shelves it feeds.
    monkeypatch.setenv("CROSSFADE_LIBRARY_INJECT_ERROR_RATE", "1")
    cached = await gateway(backend_max_attempts=1)
    first = await ask(cached, "HomeFeed", who="user-6")
    second = await ask(cached, "HomeFeed", who="user-6")
    assert first.json()["extensions"]["degraded"] == ["library"]
    assert [r.headers["x-cache"] for r in (first, second)] == ["miss", "miss"]
    assert second.headers["cache-control"] == "no-store"


async def test_the_cache_is_bounded_by_bytes(gateway: Gateway) -> None:
    cached = await gateway(response_cache_bytes=50_000)
    evicted = counted("evictions", "HomeFeed")
    for who in ("user-7", "user-8", "user-9", "user-10"):
        await ask(cached, "HomeFeed", who=who)  # ~20 kB each
    store = cached.app.state.response_cache.store
    oldest = await ask(cached, "HomeFeed", who="user-7")
    newest = await ask(cached, "HomeFeed", who="user-10")
    assert store.bytes <= 50_000
    assert counted("evictions", "HomeFeed") - evicted >= 2
    assert (oldest.headers["x-cache"], newest.headers["x-cache"]) == ("miss", "hit")


async def test_a_reloaded_ranking_model_empties_the_cache(gateway: Gateway) -> None:
    cached = await gateway()
    await ask(cached, "MadeForYou", who="user-11")
    before = await ask(cached, "MadeForYou", who="user-11")
    reload = await cached.post("/admin/reload-model", json={})
    after = await ask(cached, "MadeForYou", who="user-11")
    assert reload.status_code == 200
    assert (before.headers["x-cache"], after.headers["x-cache"]) == ("hit", "miss")


async def test_a_play_leaves_the_library_cached_and_a_playlist_edit_does_not(
    gateway: Gateway, store: Path
) -> None:
    (someone,) = listeners(store, 1)
    who = someone.handle
    played, added = track_ids(store, 2, offset=120)
    play = {"trackId": to_global_id("Track", played)}
    edit = {
        "playlistId": to_global_id("Playlist", someone.private_playlist),
        "trackIds": [to_global_id("Track", added)],
    }
    cached, fresh = await gateway(), await gateway(response_cache=False)
    await ask(cached, "Library", who=who)
    await ask(cached, "HomeFeed", who=who)
    await ask(cached, "PlaylistEdits", play, who=who, operation_name="RecordPlay")
    after_play = [await ask(cached, n, who=who) for n in ("Library", "HomeFeed")]
    await ask(cached, "PlaylistEdits", edit, who=who, operation_name="AddTracks")
    after_edit = [await ask(cached, n, who=who) for n in ("Library", "HomeFeed")]
    truth = [await ask(fresh, n, who=who) for n in ("Library", "HomeFeed")]
    # a play changes the listening history (Home), not the library
    assert [r.headers["x-cache"] for r in after_play] == ["hit", "miss"]
    # an edit changes the library (and that playlist), not the history
    assert [r.headers["x-cache"] for r in after_edit] == ["miss", "hit"]
    assert [r.json() for r in after_edit] == [r.json() for r in truth]


async def test_a_write_of_unknown_outcome_is_bumped_again_once_it_must_have_landed(
    gateway: Gateway,
) -> None:
    from gateway.cache.middleware import ResponseCacheMiddleware
    from resolvers.clients.errors import BackendTimeout
    from resolvers.clients.footprint import HISTORY, writing

    async def timed_out_write(scope: Any, receive: Any, send: Any) -> None:
        # What record_play does when the library backend does not answer in time.
        await receive()
        try:
            with writing((HISTORY, 42)):
                raise BackendTimeout("no answer", service="library")
        except BackendTimeout:
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b'{"data":null}'})

    cached = await gateway(request_deadline_s=0.2)
    cache = cached.app.state.response_cache
    middleware = ResponseCacheMiddleware(timed_out_write, cache=cache)
    request = orjson.dumps(
        {"query": operation("PlaylistEdits"), "operationName": "RecordPlay",
         "variables": {"trackId": to_global_id("Track", 1)}}
    )  # fmt: skip
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": request, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "query_string": b"",
             "headers": [(b"content-type", b"application/json")]}  # fmt: skip
    before = cache.versions.clock
    await middleware(scope, receive, send)
    at_once = cache.versions.clock
    await asyncio.sleep(0.4)
    assert sent[0]["status"] == 200
    assert at_once == before + 1  # bumped before the answer left
    assert cache.versions.clock == before + 2  # and again once the write must have landed
