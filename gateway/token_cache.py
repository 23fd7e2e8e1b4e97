"""Verified bearer tokens, remembered so that a repeat costs a hash and a dict read instead of
a signature check (52 µs for HS256, 118 µs for RS256 on the reference machine).

Keyed by the token's SHA-256 (the tokens themselves are never kept). An entry lasts until the
token's ``exp`` (plus the leeway the verification allowed), and only while the key that
verified it is still the one in use: each entry carries that key, and the authenticator says
whether it still trusts it, so a removed JWKS key or a changed secret takes effect at once.
Bounded: the oldest entries go first.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from resolvers.clients.viewer import Viewer


@dataclass(frozen=True, slots=True)
class Verified:
    viewer: Viewer
    expires_at: float  # epoch seconds
    key: object  # what verified the signature: a JWKS key, or the secret's generation


class TokenCache:
    def __init__(self, size: int, clock: Callable[[], float] = time.time) -> None:
        self.size = size
        self.clock = clock
        self._verified: dict[bytes, Verified] = {}

    def __len__(self) -> int:
        return len(self._verified)

    @staticmethod
    def digest(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, digest: bytes, trusted: Callable[[object], bool]) -> Viewer | None:
        found = self._verified.get(digest)
        if found is None:
            return None
        if self.clock() >= found.expires_at or not trusted(found.key):
            del self._verified[digest]
            return None
        return found.viewer

    def put(self, digest: bytes, verified: Verified) -> None:
        if self.size <= 0:
            return
        if len(self._verified) >= self.size:
            del self._verified[next(iter(self._verified))]
        self._verified[digest] = verified

    def clear(self) -> None:
        self._verified.clear()
