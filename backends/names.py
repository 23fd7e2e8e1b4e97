"""The reference backends by name: the one list the gateway and the backends share.

Kept free of imports so the gateway's settings and its client layer can read it without
loading any backend code.
"""

from __future__ import annotations

from typing import Final, Literal

BackendName = Literal["catalog", "library", "playlists", "search"]
BACKENDS: Final[tuple[BackendName, ...]] = ("catalog", "library", "playlists", "search")
