"""The search backend and its index against the fixture store."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backends.search_index import build_index
from backends.services.search import tokenize
from backends.services.vocabulary import Vocabulary, edit_distance
from backends.settings import BackendSettings
from backends.store import connect
from tests.support.app import backend_client
from tests.support.store import STORE

pytestmark = pytest.mark.anyio


@pytest.fixture
def store(fixture_dir: Path) -> Path:
    """The hand-made store's database file."""
    return fixture_dir / STORE


@pytest.fixture
async def http(store: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with backend_client("search", BackendSettings(data_dir=store.parent)) as client:
        yield client


async def search(http: httpx.AsyncClient, q: str, **params: str) -> dict[str, Any]:
    response = await http.get("/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(hits: list[dict[str, Any]]) -> list[int]:
    return [hit["id"] for hit in hits]


async def test_exact_artist_name_ranks_first(http: httpx.AsyncClient) -> None:
    body = await search(http, "ghost")
    assert body["corrected"] is None
    assert ids(body["artists"]) == [2, 3]  # Ghost before Ghostface Killah
    assert set(ids(body["tracks"])) == {4, 5, 8}
    assert ids(body["playlists"]) == [5]
    scores = [hit["score"] for hit in body["artists"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


async def test_misspelled_artist_is_corrected(http: httpx.AsyncClient) -> None:
    body = await search(http, "metalica")
    assert body["query"] == "metalica"
    assert body["corrected"] == "metallica"
    assert ids(body["artists"]) == [1]
    assert set(ids(body["tracks"])) == {1, 2, 3}


async def test_misspelled_words_of_a_title_are_corrected(http: httpx.AsyncClient) -> None:
    body = await search(http, "mastr of pupets")
    assert body["corrected"] == "master of puppets"
    assert ids(body["tracks"])[0] == 1
    assert ids(body["albums"]) == [1]


async def test_last_token_matches_as_a_prefix(http: httpx.AsyncClient) -> None:
    body = await search(http, "fade to bla")
    assert body["corrected"] is None
    assert ids(body["tracks"]) == [3]


async def test_accents_are_ignored(http: httpx.AsyncClient) -> None:
    plain = await search(http, "beyonce")
    accented = await search(http, "ÑANDÚ")
    assert ids(plain["artists"]) == [4]
    assert ids(accented["artists"]) == [5]


async def test_private_playlists_are_not_found(http: httpx.AsyncClient) -> None:
    body = await search(http, "secret")
    assert body["playlists"] == []


async def test_types_and_limit(http: httpx.AsyncClient) -> None:
    body = await search(http, "metallica", types="artist,album", limit="1")
    assert body["tracks"] == [] and body["playlists"] == []
    assert ids(body["artists"]) == [1]
    assert len(body["albums"]) == 1


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "*",
        "a AND",
        "(",
        "NEAR(",
        "^",
        ":",
        "ñandú",
        "",
        "   ",
        "OR OR",
        "a:b",
        "-x",
        '"unterminated',
        "tra*ck",
        "{col}: x",
        "🎸",
        "NOT",
        "x" * 200,
        "a" * 60 + " b",
    ],
)
async def test_hostile_input_never_fails(http: httpx.AsyncClient, q: str) -> None:
    response = await http.get("/search", params={"q": q})
    assert response.status_code == 200
    assert set(response.json()) == {
        "query",
        "corrected",
        "tracks",
        "artists",
        "albums",
        "playlists",
    }


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "x", "types": "song"},
        {"q": "x", "limit": "101"},
        {"q": "x" * 201},
        {"q": "x", "limit": "abc"},
    ],
)
async def test_bad_parameters_are_a_bad_request(
    http: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await http.get("/search", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


async def test_healthz(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.json() == {"status": "ok", "service": "search"}


def test_build_index_is_idempotent(store: Path) -> None:
    conn = connect(store)
    try:
        before = conn.execute("SELECT * FROM search_vocab ORDER BY term").fetchall()
        build_index(conn)
        after = conn.execute("SELECT * FROM search_vocab ORDER BY term").fetchall()
        count = conn.execute("SELECT count(*) FROM search_tracks").fetchone()[0]
    finally:
        conn.close()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert ("metallica", 3 + 1 + 2) in [tuple(r) for r in after]  # tracks, artist, albums
    assert count == 9


def test_vocabulary_corrections() -> None:
    vocabulary = Vocabulary({"ghost": 3, "most": 9, "metallica": 4, "metal": 2, "master": 2})
    assert vocabulary.corrections("gost", prefix=False) == ["ghost"]
    assert vocabulary.corrections("metalica", prefix=False) == ["metallica"]
    assert vocabulary.corrections("xyzzy", prefix=False) == []
    assert vocabulary.has_prefix("meta") and not vocabulary.has_prefix("metz")


@pytest.mark.parametrize(
    "a, b, distance",
    [
        ("metalica", "metallica", 1),
        ("ab", "ba", 1),
        ("pupets", "puppets", 1),
        ("mastr", "master", 1),
        ("kitten", "sitting", 3),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 3) == distance


def test_tokenize_folds_like_the_index() -> None:
    assert tokenize('Ñandú "AND" (Beyoncé)*') == ["nandu", "and", "beyonce"]


def test_index_is_contentless(store: Path) -> None:
    conn = sqlite3.connect(store)
    try:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'search_tracks'").fetchone()
    finally:
        conn.close()
    assert "content=''" in sql[0]
