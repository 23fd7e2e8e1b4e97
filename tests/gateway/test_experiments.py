"""Ranking experiments: deterministic buckets, the served variant in `extensions`, exposure
logs; and the ranking rules every surface must keep (explicit filter, model reload)."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ranking.experiments import Experiment, Variant, parse_plan
from tests.conftest import bearer

HOME_MODEL = {
    "name": "home-model",
    "surface": "recommendations",
    "variants": [
        {"name": "control", "share": 0.5},
        {"name": "svd-no-diversity", "share": 0.5, "model": "pure_svd", "diversity": False},
    ],
}
SEARCH_BLEND = {
    "name": "search-blend",
    "surface": "search",
    "variants": [
        {"name": "control", "share": 0.0},
        {"name": "personal", "share": 1.0, "search_weights": [0.5, 0.4, 0.1]},
    ],
}
HOME = "query { home { sections(first: 8) { edges { node { kind } } } } }"
SEARCH = 'query { search(query: "love") { tracks(first: 3) { edges { node { id } } } } }'


def test_buckets_are_deterministic_and_follow_the_shares() -> None:
    plan = parse_plan([HOME_MODEL])
    experiment = plan.on("recommendations")
    assert experiment is not None
    again = parse_plan([HOME_MODEL]).on("recommendations")
    assert again is not None
    listeners = [f"user-{n}" for n in range(1, 4001)]
    first = [experiment.assign(u).name for u in listeners]
    assert first == [again.assign(u).name for u in listeners]  # same in any process
    counts = Counter(first)
    assert 0.45 < counts["control"] / len(listeners) < 0.55
    # Another experiment buckets the same listeners independently.
    other = Experiment("other", "search", (Variant("control", 0.5), Variant("treatment", 0.5)))
    both = Counter((a, other.assign(u).name) for a, u in zip(first, listeners, strict=True))
    assert len(both) == 4 and min(both.values()) > 800
    # A share of 0 gets nobody; a share of 1 everybody.
    blend = parse_plan([SEARCH_BLEND]).on("search")
    assert blend is not None
    assert {blend.assign(u).name for u in listeners} == {"personal"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**HOME_MODEL, "variants": [{"name": "a", "share": 0.7}]}, "add up to 1"),
        (
            {**HOME_MODEL, "variants": [{"name": "a", "share": 1.0, "model": "magic"}]},
            "model must be one of",
        ),
        ({**HOME_MODEL, "surface": "radio"}, "surface must be one of"),
        ({**HOME_MODEL, "variants": []}, "non-empty list of variants"),
        (
            {**HOME_MODEL, "variants": [{"name": "a", "share": 1.0, "diversty": False}]},
            "unknown keys",
        ),
    ],
)
def test_bad_experiment_settings_fail_start_up_with_the_reason(
    spec: dict[str, Any], message: str
) -> None:
    from pydantic import ValidationError

    from gateway.config import Settings

    with pytest.raises(ValidationError, match=message):
        Settings(experiments=[spec])
    with pytest.raises(ValueError, match="already runs on"):
        parse_plan([HOME_MODEL, {**HOME_MODEL, "name": "second"}])


@pytest.fixture
async def experiment_client(settings_env: Path) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.app import create_app
    from gateway.config import Settings

    app = create_app(Settings(data_dir=settings_env, experiments=[HOME_MODEL, SEARCH_BLEND]))
    app.state.services.clients.clear_caches()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
    ) as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


async def _post(client: httpx.AsyncClient, query: str, user: str | None) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query}, headers=bearer(user) if user else {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


@pytest.mark.anyio
async def test_served_variant_is_in_extensions_and_logged_once(
    experiment_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    experiment = parse_plan([HOME_MODEL]).on("recommendations")
    assert experiment is not None
    expected = {u: experiment.assign(u).name for u in ("user-1", "user-2", "user-3", "user-5")}
    assert len(set(expected.values())) == 2  # the fixture listeners cover both variants
    for user, variant in expected.items():
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="crossfade.experiments"):
            body = await _post(experiment_client, HOME, user)
        # Home serves Recommended and Discover Weekly from the variant: one entry, one log.
        assert body["extensions"]["experiments"] == {"home-model": variant}
        exposures = [r for r in caplog.records if r.getMessage() == "experiment exposure"]
        assert [r.fields for r in exposures] == [  # type: ignore[attr-defined]
            {
                "event": "exposure",
                "experiment": "home-model",
                "variant": variant,
                "surface": "recommendations",
                "user": user,
            }
        ]
    body = await _post(experiment_client, SEARCH, "user-1")
    assert body["extensions"]["experiments"] == {"search-blend": "personal"}


@pytest.mark.anyio
async def test_anonymous_requests_are_not_bucketed(
    experiment_client: httpx.AsyncClient,
) -> None:
    body = await _post(experiment_client, SEARCH, None)
    assert "experiments" not in body.get("extensions", {})


@pytest.mark.anyio
async def test_requests_without_experiments_report_none(client: httpx.AsyncClient) -> None:
    body = await _post(client, HOME, "user-1")
    assert "experiments" not in body.get("extensions", {})


# -- the rules the ranking keeps on every surface ---------------------------------------------

PERSONAL = """
query {
  home { sections(first: 8) { edges { node { kind items(first: 50) { edges { node {
    __typename ... on Track { id explicit } } } } } } } }
  me {
    discoverWeekly { tracks(first: 30) { edges { node { id explicit } } } }
    dailyMixes { tracks(first: 50) { edges { node { id explicit } } } }
  }
}
"""


@contextlib.contextmanager
def explicit_filter(db: Path, user_id: int) -> Iterator[None]:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE users SET explicit_filter = 1 WHERE id = ?", (user_id,))
    try:
        yield
    finally:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE users SET explicit_filter = 0 WHERE id = ?", (user_id,))


def _explicit_share(body: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(explicit, total) tracks per ranked surface."""
    out: dict[str, tuple[int, int]] = {}
    for edge in body["data"]["home"]["sections"]["edges"]:
        node = edge["node"]
        if node["kind"] == "RECENTLY_PLAYED":
            continue  # the listener's own plays, not a ranking
        tracks = [e["node"] for e in node["items"]["edges"] if e["node"]["__typename"] == "Track"]
        out[node["kind"]] = (sum(t["explicit"] for t in tracks), len(tracks))
    me = body["data"]["me"]
    dw = [e["node"] for e in me["discoverWeekly"]["tracks"]["edges"]]
    out["DISCOVER_WEEKLY"] = (sum(t["explicit"] for t in dw), len(dw))
    mixes = [e["node"] for m in me["dailyMixes"] for e in m["tracks"]["edges"]]
    out["DAILY_MIXES"] = (sum(t["explicit"] for t in mixes), len(mixes))
    return out


@pytest.mark.anyio
async def test_explicit_filter_is_honoured_on_every_ranked_surface(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    ranked = {"RECOMMENDED", "BECAUSE_YOU_LISTENED", "DISCOVER_WEEKLY", "DAILY_MIXES"}
    services = client.app.state.services  # type: ignore[attr-defined]
    # given a listener whose unfiltered shelves do carry explicit tracks
    for user_id in range(400, 300, -1):
        unfiltered = _explicit_share(await _post(client, PERSONAL, f"user-{user_id}"))
        if ranked <= set(unfiltered) and all(
            unfiltered[k][0] > 0 for k in ("RECOMMENDED", "BECAUSE_YOU_LISTENED")
        ):
            break
    else:
        pytest.fail("no listener with explicit recommendations in the test store")
    # when they turn the filter on (in the store itself: a write no cache can see, so every
    # cache is emptied, the response cache's too)
    with explicit_filter(data_dir / "crossfade.db", user_id):
        services.clients.clear_caches()
        client.app.state.response_cache.clear()  # type: ignore[attr-defined]
        filtered = _explicit_share(await _post(client, PERSONAL, f"user-{user_id}"))
    services.clients.clear_caches()
    # then no ranked surface serves an explicit track, and none runs empty
    assert {k: filtered[k][0] for k in ranked} == dict.fromkeys(ranked, 0)
    assert all(filtered[k][1] > 0 for k in ranked)


@pytest.mark.anyio
async def test_model_reload_is_loopback_only(client: httpx.AsyncClient) -> None:
    app = client.app  # type: ignore[attr-defined]
    version = app.state.services.ranking.core.version
    response = await client.post("/admin/reload-model", json={})
    # httpx's ASGI transport presents the client as 127.0.0.1.
    assert response.status_code == 200, response.text
    assert response.json() == {"version": version}
    outside = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 40000)),
        base_url="http://gateway.test",
    )
    async with outside:
        refused = await outside.post("/admin/reload-model", json={})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
