"""The search service: ranked IDs of tracks, artists, albums and public playlists.

User input never reaches FTS5 as syntax: the query is cut into word tokens here and each is
sent as a double-quoted string, so quotes, ``*``, ``NEAR(``, ``AND`` or ``:`` are just text.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backends.http import ApiError, JSONResponse, bad_request, parse_int
from backends.search_index import VOCAB_TABLE
from backends.services.pool import ConnectionPool
from backends.services.vocabulary import Vocabulary
from backends.settings import BackendSettings

MAX_QUERY_CHARS = 200
MAX_TOKENS = 10
MAX_LIMIT = 100

# type -> (response key, FTS table, bm25 column weights (name first and heaviest),
#          catalog table whose popularity breaks ties or None)
TYPES: dict[str, tuple[str, str, str, str | None]] = {
    "track": ("tracks", "search_tracks", "10.0, 4.0, 2.0", "tracks"),
    "artist": ("artists", "search_artists", "10.0", "artists"),
    "album": ("albums", "search_albums", "10.0, 3.0", "albums"),
    "playlist": ("playlists", "search_playlists", "10.0, 2.0", None),
}


def tokenize(text: str) -> list[str]:
    """Words as FTS5's ``unicode61 remove_diacritics`` tokenizer sees them: lower case,
    accents dropped, anything but letters and digits separates."""
    folded = "".join(
        char for char in unicodedata.normalize("NFKD", text) if unicodedata.category(char) != "Mn"
    ).lower()
    return "".join(char if char.isalnum() else " " for char in folded).split()


def quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def match_expression(alternatives: list[list[str]]) -> str:
    """AND of the tokens, each an OR of its spellings; the last token also matches as a
    prefix, and its exact form is OR-ed in too so whole words outscore mere prefixes."""
    parts = []
    for position, spellings in enumerate(alternatives):
        options = []
        for term in spellings:
            options.append(quote(term))
            if position == len(alternatives) - 1 and len(term) >= 2:
                options.append(quote(term) + "*")
        parts.append("(" + " OR ".join(options) + ")")
    return " AND ".join(parts)


class SearchService:
    """HTTP endpoint over the FTS5 index built by :func:`backends.search_index.build_index`."""

    def __init__(self, pool: ConnectionPool, settings: BackendSettings) -> None:
        self.pool = pool
        self._vocabulary: Vocabulary | None = None
        self._vocabulary_lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [Route("/search", self.search)]

    def vocabulary(self) -> Vocabulary:
        # Loaded on first use rather than at start-up: the in-process gateway builds these
        # apps without running their lifespan, and most queries never need it.
        if self._vocabulary is None:
            with self._vocabulary_lock:
                if self._vocabulary is None:
                    self._vocabulary = Vocabulary.load(self.pool.reader(), VOCAB_TABLE)
        return self._vocabulary

    def correct(self, tokens: list[str]) -> tuple[list[list[str]], str | None]:
        """Each token's spellings to search, and the corrected query if any token changed."""
        vocabulary = self.vocabulary()
        alternatives: list[list[str]] = []
        changed = False
        for position, token in enumerate(tokens):
            last = position == len(tokens) - 1
            known = token in vocabulary or (last and vocabulary.has_prefix(token))
            # Short tokens and numbers have too many close neighbours to guess from.
            if known or len(token) < 3 or any(char.isdigit() for char in token):
                alternatives.append([token])
                continue
            spellings = vocabulary.corrections(token, prefix=last)
            alternatives.append(spellings or [token])
            changed = changed or bool(spellings)
        corrected = " ".join(spellings[0] for spellings in alternatives) if changed else None
        return alternatives, corrected

    def search(self, request: Request) -> Response:
        params = request.query_params
        query = params.get("q")
        if query is None:
            raise bad_request("missing query parameter 'q'")
        if len(query) > MAX_QUERY_CHARS:
            raise bad_request(f"'q' is longer than {MAX_QUERY_CHARS} characters")
        limit = parse_int(params, "limit", default=50, minimum=1, maximum=MAX_LIMIT)
        types = [t.strip() for t in params.get("types", ",".join(TYPES)).split(",") if t.strip()]
        unknown = [t for t in types if t not in TYPES]
        if unknown:
            raise bad_request(f"unknown types: {', '.join(unknown)}; use {', '.join(TYPES)}")
        answer: dict[str, object] = {"query": query, "corrected": None}
        answer.update({key: [] for key, _, _, _ in TYPES.values()})
        tokens = tokenize(query)[:MAX_TOKENS]
        if not tokens or not types:
            return JSONResponse(answer)
        try:
            alternatives, answer["corrected"] = self.correct(tokens)
            expression = match_expression(alternatives)
            conn = self.pool.reader()
            for kind in dict.fromkeys(types):
                key, table, weights, source = TYPES[kind]
                answer[key] = self._ranked(conn, table, weights, source, expression, limit)
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                raise ApiError(503, "UNAVAILABLE", "the search index is not built") from None
            raise
        return JSONResponse(answer)

    @staticmethod
    def _ranked(
        conn: sqlite3.Connection,
        table: str,
        weights: str,
        source: str | None,
        expression: str,
        limit: int,
    ) -> list[dict[str, object]]:
        # bm25 is lower-is-better and negative; negated it is a higher-is-better score.
        if source is None:
            sql = (
                f"SELECT rowid, -bm25({table}, {weights}) AS score FROM {table}"
                f" WHERE {table} MATCH ? ORDER BY score DESC, rowid LIMIT ?"
            )
        else:
            sql = (
                f"SELECT {table}.rowid, -bm25({table}, {weights}) AS score FROM {table}"
                f" JOIN {source} s ON s.id = {table}.rowid WHERE {table} MATCH ?"
                f" ORDER BY score DESC, s.popularity DESC, s.id LIMIT ?"
            )
        rows = conn.execute(sql, (expression, limit)).fetchall()
        return [{"id": row[0], "score": round(row[1], 4)} for row in rows]
