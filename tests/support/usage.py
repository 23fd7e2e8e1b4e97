"""Field usage in tests: client headers, the CLI as a subprocess, and SDL variants."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.repo import REPO, SDL

ARTIST_PAGE = "query ArtistPage($id: ID!) { node(id: $id) { ... on Artist { name genres } } }"


def client_headers(name: str | None, version: str | None = None) -> dict[str, str]:
    """The headers Apollo clients name themselves with."""
    headers = {}
    if name is not None:
        headers["apollographql-client-name"] = name
    if version is not None:
        headers["apollographql-client-version"] = version
    return headers


def crossfade(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a subprocess, with ``env`` over a clean CROSSFADE_* slate."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CROSSFADE_")}
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        env={**base, "CROSSFADE_LOG_LEVEL": "WARNING", **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def sdl_with(replacements: dict[str, str]) -> str:
    """The committed SDL with each ``old`` text replaced by ``new`` (each must occur once)."""
    text = SDL.read_text()
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text
