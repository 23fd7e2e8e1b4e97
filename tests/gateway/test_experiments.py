"""Ranking experiments: deterministic buckets, the served variant in `extensions`, exposure
logs; and the ranking rules every surface must keep (explicit filter, model reload)."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ranking.experiments import Experiment, Variant, parse_plan
from tests.support.app import Gateway, GatewayClient, asgi_client
from tests.support.graphql import execute, without_errors

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
async def experiment_client(gateway: Gateway) -> GatewayClient:
    return await gateway(experiments=[HOME_MODEL, SEARCH_BLEND])


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
            body = without_errors(await execute(experiment_client, HOME, user=user))
        # Home serves Recommended and Discover Weekly from the variant: one entry, one log.
        assert body["extensions"]["experiments"] == {"home-model": variant}
        exposures = [r for r in caplog.records if r.getMessage() == "experiment exposure"]
        assert [getattr(r, "fields", None) for r in exposures] == [
            {
                "event": "exposure",
                "experiment": "home-model",
                "variant": variant,
                "surface": "recommendations",
                "user": user,
            }
        ]
    body = without_errors(await execute(experiment_client, SEARCH, user="user-1"))
    assert body["extensions"]["experiments"] == {"search-blend": "personal"}


@pytest.mark.anyio
async def test_anonymous_requests_are_not_bucketed(
    experiment_client: httpx.AsyncClient,
) -> None:
    body = without_errors(await execute(experiment_client, SEARCH, user=None))
    assert "experiments" not in body.get("extensions", {})


@pytest.mark.anyio
async def test_requests_without_experiments_report_none(client: httpx.AsyncClient) -> None:
    body = without_errors(await execute(client, HOME, user="user-1"))
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
    client: GatewayClient, data_dir: Path
) -> None:
    ranked = {"RECOMMENDED", "BECAUSE_YOU_LISTENED", "DISCOVER_WEEKLY", "DAILY_MIXES"}
    services = client.app.state.services
    # given a listener whose unfiltered shelves do carry explicit tracks
    for user_id in range(400, 300, -1):
        unfiltered = _explicit_share(
            without_errors(await execute(client, PERSONAL, user=f"user-{user_id}"))
        )
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
        client.app.state.response_cache.clear()
        filtered = _explicit_share(
            without_errors(await execute(client, PERSONAL, user=f"user-{user_id}"))
        )
    services.clients.clear_caches()
    # then no ranked surface serves an explicit track, and none runs empty
    assert {k: filtered[k][0] for k in ranked} == dict.fromkeys(ranked, 0)
    assert all(filtered[k][1] > 0 for k in ranked)


@pytest.mark.anyio
async def test_model_reload_is_loopback_only(client: GatewayClient) -> None:
    app = client.app
    version = app.state.services.ranking.core.version
    response = await client.post("/admin/reload-model", json={})
    # httpx's ASGI transport presents the client as 127.0.0.1.
    assert response.status_code == 200, response.text
    assert response.json() == {"version": version}
    async with asgi_client(app, client_ip="203.0.113.9") as outside:
        refused = await outside.post("/admin/reload-model", json={})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
