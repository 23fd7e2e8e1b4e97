"""Who may see and change what: every check lives here, not in each resolver.

A private playlist of someone else is indistinguishable from a missing one (NOT_FOUND), so
IDs of private playlists cannot be probed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.errors import Forbidden, NotFound, Unauthenticated

if TYPE_CHECKING:
    from resolvers.context import Viewer
    from resolvers.views import PlaylistView


def can_read_playlist(viewer: Viewer | None, playlist: PlaylistView) -> bool:
    if playlist.public:
        return True
    return viewer is not None and playlist.owner_id == viewer.user_id


def can_read_history(viewer: Viewer | None, user_id: int) -> bool:
    return viewer is not None and viewer.user_id == user_id


def require_playlist_owner(viewer: Viewer, playlist: PlaylistView) -> None:
    """Only the owner edits; others learn nothing about a private playlist's existence."""
    if playlist.owner_id != viewer.user_id:
        if can_read_playlist(viewer, playlist):
            raise Forbidden("Only the playlist's owner can change it.")
        raise NotFound("No such playlist.")


def require_self(viewer: Viewer | None, user_id: int) -> Viewer:
    """Personal data (history, likes, mixes) is for the listener themself only."""
    if viewer is None:
        raise Unauthenticated()
    if viewer.user_id != user_id:
        raise Forbidden("Only the listener themself can see this.")
    return viewer
