"""Who may see and change what: every authorization check lives here, not in each resolver.

- guests read the catalog, search and public playlists; everything personal needs a viewer
  (UNAUTHENTICATED);
- a listener's history, likes and generated mixes are theirs alone (FORBIDDEN for others);
- a private playlist is readable by its owner only, and for everyone else it is
  indistinguishable from a missing one (NOT_FOUND, or null where a read answers null), so
  IDs of private playlists cannot be probed;
- only the owner edits a playlist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.clients.errors import Forbidden, NotFound, Unauthenticated

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.views import PlaylistView

# One message for "missing" and "private and not yours", so the two cannot be told apart.
NO_SUCH_PLAYLIST = "No such playlist."


def require_viewer(viewer: Viewer | None) -> Viewer:
    """Personal fields and every mutation need a signed-in listener."""
    if viewer is None:
        raise Unauthenticated()
    return viewer


def require_self(viewer: Viewer | None, user_id: int) -> Viewer:
    """Personal data (history, likes, mixes) is for the listener themself only."""
    viewer = require_viewer(viewer)
    if viewer.user_id != user_id:
        raise Forbidden("Only the listener themself can see this.")
    return viewer


def is_self(viewer: Viewer | None, handle: str) -> bool:
    """Whether ``handle`` names the viewer (generated playlists' IDs carry the handle)."""
    return viewer is not None and viewer.handle == handle


def can_read_playlist(viewer: Viewer | None, playlist: PlaylistView) -> bool:
    if playlist.public:
        return True
    return viewer is not None and playlist.owner_id == viewer.user_id


def sees_private_playlists_of(viewer: Viewer | None, owner_id: int) -> bool:
    """Whether listing ``owner_id``'s playlists (and counting them) includes private ones."""
    return viewer is not None and viewer.user_id == owner_id


def require_playlist_owner(viewer: Viewer | None, playlist: PlaylistView | None) -> Viewer:
    """Only the owner edits; others learn nothing about a private playlist's existence."""
    viewer = require_viewer(viewer)
    if playlist is None or not can_read_playlist(viewer, playlist):
        raise NotFound(NO_SUCH_PLAYLIST)
    if playlist.owner_id != viewer.user_id:
        raise Forbidden("Only the playlist's owner can change it.")
    return viewer
