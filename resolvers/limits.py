"""Limits that resolvers enforce on arguments (the query-level ones live in the schema).

Built from the gateway's settings at start-up (``gateway/services.py``); no defaults here, so
``Settings`` stays the one place a limit's value lives.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Hard caps that protect the backends from one oversized request."""

    max_page_size: int
    max_query_length: int
    max_nodes: int
    max_playlist_name: int
    max_playlist_description: int
    max_tracks_per_edit: int
