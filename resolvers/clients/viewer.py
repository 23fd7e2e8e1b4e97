"""Who is asking: the signed-in listener, as authentication found them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in listener."""

    user_id: int

    @property
    def handle(self) -> str:
        return f"user-{self.user_id}"
