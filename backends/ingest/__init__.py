"""The data build: the real Spotify catalog plus simulated listeners, into the SQLite store."""
