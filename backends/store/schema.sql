-- Crossfade reference store. One SQLite file shared by the reference backends.
-- Catalog rows come from the real Spotify tracks table (see README: data source and licence);
-- users, plays, likes and user playlists are SIMULATED by backends/ingest/listeners.py.
PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS genres (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS artists (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    popularity INTEGER NOT NULL DEFAULT 0   -- max popularity of the artist's tracks
);

CREATE TABLE IF NOT EXISTS albums (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,         -- the source table names albums only by title
    popularity INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS album_artists (
    album_id  INTEGER NOT NULL REFERENCES albums(id),
    artist_id INTEGER NOT NULL REFERENCES artists(id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (album_id, artist_id)
);

CREATE TABLE IF NOT EXISTS tracks (
    id               INTEGER PRIMARY KEY,
    spotify_id       TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    album_id         INTEGER NOT NULL REFERENCES albums(id),
    genre_id         INTEGER NOT NULL REFERENCES genres(id),  -- first genre the source lists
    duration_ms      INTEGER NOT NULL,
    explicit         INTEGER NOT NULL,
    popularity       INTEGER NOT NULL,
    danceability     REAL NOT NULL,
    energy           REAL NOT NULL,
    musical_key      INTEGER NOT NULL,
    loudness         REAL NOT NULL,
    mode             INTEGER NOT NULL,
    speechiness      REAL NOT NULL,
    acousticness     REAL NOT NULL,
    instrumentalness REAL NOT NULL,
    liveness         REAL NOT NULL,
    valence          REAL NOT NULL,
    tempo            REAL NOT NULL,
    time_signature   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tracks_by_album ON tracks(album_id);
CREATE INDEX IF NOT EXISTS tracks_by_popularity ON tracks(popularity DESC);

CREATE TABLE IF NOT EXISTS track_artists (
    track_id  INTEGER NOT NULL REFERENCES tracks(id),
    artist_id INTEGER NOT NULL REFERENCES artists(id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (track_id, artist_id)
);
CREATE INDEX IF NOT EXISTS track_artists_by_artist ON track_artists(artist_id);

CREATE TABLE IF NOT EXISTS track_genres (
    track_id INTEGER NOT NULL REFERENCES tracks(id),
    genre_id INTEGER NOT NULL REFERENCES genres(id),
    PRIMARY KEY (track_id, genre_id)
);

-- Listeners. `id` N is exposed as the handle "user-N".
CREATE TABLE IF NOT EXISTS users (
    id              INTEGER PRIMARY KEY,
    display_name    TEXT NOT NULL,
    country         TEXT NOT NULL,
    timezone        TEXT NOT NULL,            -- IANA name, used for the greeting
    explicit_filter INTEGER NOT NULL DEFAULT 0,
    simulated       INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL          -- unix ms
);

CREATE TABLE IF NOT EXISTS plays (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    track_id  INTEGER NOT NULL REFERENCES tracks(id),
    played_at INTEGER NOT NULL,               -- unix ms
    ms_played INTEGER NOT NULL,
    simulated INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS plays_by_user_time ON plays(user_id, played_at DESC);

CREATE TABLE IF NOT EXISTS likes (
    user_id  INTEGER NOT NULL REFERENCES users(id),
    track_id INTEGER NOT NULL REFERENCES tracks(id),
    liked_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, track_id)
);
CREATE INDEX IF NOT EXISTS likes_by_user_time ON likes(user_id, liked_at DESC);

-- kind: 'user' (owner_id set) or 'editorial' (owner_id NULL; tag says genre:<name>, mood:<name>, top-hits)
CREATE TABLE IF NOT EXISTS playlists (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER REFERENCES users(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    public      INTEGER NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL CHECK (kind IN ('user', 'editorial')),
    tag         TEXT,
    version     INTEGER NOT NULL DEFAULT 1,   -- bumped by every edit; snapshot_id derives from it
    track_count INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS playlists_by_owner ON playlists(owner_id, updated_at DESC);

-- Entries keep insertion order by `id`; a track may appear more than once in a playlist.
CREATE TABLE IF NOT EXISTS playlist_tracks (
    id          INTEGER PRIMARY KEY,
    playlist_id INTEGER NOT NULL REFERENCES playlists(id),
    track_id    INTEGER NOT NULL REFERENCES tracks(id),
    added_at    INTEGER NOT NULL,
    added_by    INTEGER REFERENCES users(id)
);
CREATE INDEX IF NOT EXISTS playlist_tracks_by_playlist ON playlist_tracks(playlist_id, id);

-- Remembered results of edits sent with an idempotency key (per user), so a retry adds once.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id     INTEGER NOT NULL,
    key         TEXT NOT NULL,
    playlist_id INTEGER NOT NULL,
    response    TEXT NOT NULL,                -- JSON of the first answer
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Discover Weekly and the Daily Mixes built for every listener by the batch job
-- (`crossfade mixes build`), each valid for one ISO week ('2026-W45', Discover Weekly) or one
-- UTC day ('2026-11-03', Daily Mixes). The gateway serves a listener's row for the current
-- period when there is one, and computes the mix at request time otherwise.
CREATE TABLE IF NOT EXISTS generated_mixes (
    user_id        INTEGER NOT NULL REFERENCES users(id),
    kind           TEXT NOT NULL CHECK (kind IN ('discover_weekly', 'daily_mix')),
    position       INTEGER NOT NULL,          -- 1 for Discover Weekly; N of "Daily Mix N"
    valid_for      TEXT NOT NULL,
    model_version  TEXT NOT NULL,             -- the ranking artifact that built it
    allow_explicit INTEGER NOT NULL,          -- the listener's explicit filter it was built for
    top_artist_ids TEXT NOT NULL,             -- JSON array (Daily Mixes' leading artists)
    track_ids      TEXT NOT NULL,             -- JSON array, in playlist order
    generated_at   INTEGER NOT NULL,          -- unix ms
    PRIMARY KEY (user_id, kind, valid_for, position)
);
