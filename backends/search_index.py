"""The full-text index the search service reads, built once by the data build.

Four contentless FTS5 tables (the text already lives in the catalog tables, so only the
index is stored) whose rowids are the store's IDs, and ``search_vocab``: every indexed term
with the number of documents holding it, which the search service uses to correct typos.
"""

from __future__ import annotations

import sqlite3

# remove_diacritics 2 also folds letters with several diacritics ("ǘ"), so "Beyonce" finds
# "Beyoncé"; the prefix indexes make the last query token's ``tok*`` cheap while typing.
TOKENIZER = "unicode61 remove_diacritics 2"
PREFIXES = "2 3 4"

# table -> (columns, SELECT producing rowid then the columns)
SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "search_tracks": (
        ("name", "artists", "album"),
        "SELECT t.id, t.name,"
        " (SELECT group_concat(a.name, ' ') FROM track_artists ta"
        "   JOIN artists a ON a.id = ta.artist_id WHERE ta.track_id = t.id),"
        " al.name FROM tracks t JOIN albums al ON al.id = t.album_id",
    ),
    "search_artists": (("name",), "SELECT id, name FROM artists"),
    "search_albums": (
        ("name", "artists"),
        "SELECT al.id, al.name,"
        " (SELECT group_concat(a.name, ' ') FROM album_artists aa"
        "   JOIN artists a ON a.id = aa.artist_id WHERE aa.album_id = al.id)"
        " FROM albums al",
    ),
    "search_playlists": (
        ("name", "description"),
        "SELECT id, name, description FROM playlists WHERE public = 1",
    ),
}

VOCAB_TABLE = "search_vocab"


def build_index(conn: sqlite3.Connection) -> None:
    """Drop and rebuild the search tables from the catalog and public playlists.

    Runs inside a savepoint, so it works whether or not the caller holds a transaction.
    """
    conn.execute("SAVEPOINT build_index")
    try:
        for table, (columns, select) in SOURCES.items():
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5({', '.join(columns)},"
                f" content='', tokenize='{TOKENIZER}', prefix='{PREFIXES}')"
            )
            names = ", ".join(columns)
            marks = ", ".join("?" * (len(columns) + 1))
            rows = conn.execute(select).fetchall()
            conn.executemany(
                f"INSERT INTO {table} (rowid, {names}) VALUES ({marks})",
                [tuple("" if v is None else v for v in row) for row in rows],
            )
        _build_vocab(conn)
        conn.execute("RELEASE build_index")
    except BaseException:
        conn.execute("ROLLBACK TO build_index")
        conn.execute("RELEASE build_index")
        raise


def _build_vocab(conn: sqlite3.Connection) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {VOCAB_TABLE}")
    conn.execute(
        f"CREATE TABLE {VOCAB_TABLE} (term TEXT PRIMARY KEY, doc_count INTEGER NOT NULL)"
        " WITHOUT ROWID"
    )
    for table in SOURCES:
        # fts5vocab reads the index itself, so its terms are exactly what MATCH sees.
        conn.execute(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, {table}, row)")
        conn.execute(
            f"INSERT INTO {VOCAB_TABLE} (term, doc_count) SELECT term, doc FROM temp.vocab"
            " WHERE true ON CONFLICT (term)"
            " DO UPDATE SET doc_count = doc_count + excluded.doc_count"
        )
        conn.execute("DROP TABLE temp.vocab")
