"""What one request's answer was made of: the versioned data it read and wrote, and how long
it stays true by itself. The gateway's response cache keeps an answer only with its footprint.

The gateway opens a :class:`Footprint` around each GraphQL request (a context variable, like
the call scope: the clients are process-wide and never see the request). Clients note every
*versioned* entity they read or write: the data a write through the gateway can change (the
viewer's profile is one read of a user record and a history: ``resolvers/history.py`` notes
the history where it is used, not where the record alone is). A listener's versions come in
two facets, so that a play does not invalidate their library:

- ``("history", id)``: the listener's plays (recently played, play counts: what Home, the
  mixes and the search order are made from);
- ``("library", id)``: the listener's likes and the list of their playlists;
- ``("playlist", id)``: a listener's playlist, its header and contents (editorial playlists
  cannot be written through the gateway, so they are not versioned).

The catalog, editorial lists, profiles and the search index change only outside the gateway;
responses built on them are bounded by their max-age alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from resolvers.clients.errors import BackendError

HISTORY = "history"
LIBRARY = "library"
PLAYLIST = "playlist"

Entity = tuple[str, int]


@dataclass(slots=True)
class Footprint:
    reads: set[Entity] = field(default_factory=set)
    writes: set[Entity] = field(default_factory=set)
    # Wall-clock time (epoch seconds) at which the answer changes by itself (a greeting's
    # hour, a weekly mix's Monday); None: only data changes it.
    fresh_until: float | None = None
    # False once part of the answer is a stale copy or a failed source was left out.
    reusable: bool = True
    # Writes whose backend call failed or timed out: they may still commit later.
    uncertain: set[Entity] = field(default_factory=set)

    def expires_at(self, at: float) -> None:
        self.fresh_until = at if self.fresh_until is None else min(self.fresh_until, at)


_FOOTPRINT: ContextVar[Footprint | None] = ContextVar("crossfade_footprint", default=None)


def current_footprint() -> Footprint | None:
    return _FOOTPRINT.get()


@contextmanager
def footprint() -> Iterator[Footprint]:
    """Record what the code run inside reads and writes (and every task it spawns)."""
    found = Footprint()
    token = _FOOTPRINT.set(found)
    try:
        yield found
    finally:
        _FOOTPRINT.reset(token)


def note_reads(kind: str, ids: Iterable[int]) -> None:
    found = _FOOTPRINT.get()
    if found is not None:
        found.reads.update((kind, i) for i in ids)


def note_writes(kind: str, ids: Iterable[int]) -> None:
    found = _FOOTPRINT.get()
    if found is not None:
        found.writes.update((kind, i) for i in ids)


def fresh_until(at: float) -> None:
    """The answer being built changes by itself at ``at`` (epoch seconds)."""
    found = _FOOTPRINT.get()
    if found is not None:
        found.expires_at(at)


def not_reusable() -> None:
    """The answer being built must not be served again (stale copy, degraded sources)."""
    found = _FOOTPRINT.get()
    if found is not None:
        found.reusable = False


@contextmanager
def writing(*entities: Entity) -> Iterator[None]:
    """Note ``entities`` as written once the write inside succeeded, or may have: a backend
    that failed or timed out may still have committed it. A refused write (a 4xx: bad input,
    conflict, forbidden) changed nothing and is not noted."""
    try:
        yield
    except BackendError:
        _note(entities, uncertain=True)
        raise
    _note(entities, uncertain=False)


def _note(entities: tuple[Entity, ...], *, uncertain: bool) -> None:
    found = _FOOTPRINT.get()
    if found is not None:
        found.writes.update(entities)
        if uncertain:
            found.uncertain.update(entities)
