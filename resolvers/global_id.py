"""Relay global IDs: ``base64("<Type>:<key>")``, opaque to clients."""

from __future__ import annotations

import base64
import binascii

from resolvers.clients.errors import BadUserInput

NODE_TYPES = ("Track", "Artist", "Album", "Playlist", "User")


def to_global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode("ascii")


def from_global_id(global_id: str) -> tuple[str, str]:
    """Split a global ID into (type name, key); BAD_USER_INPUT when it is not one of ours."""
    try:
        raw = base64.b64decode(global_id.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise BadUserInput(f"{global_id!r} is not a valid ID.") from None
    type_name, sep, key = raw.partition(":")
    if not sep or type_name not in NODE_TYPES or not key:
        raise BadUserInput(f"{global_id!r} is not a valid ID.")
    return type_name, key


def int_key(global_id: str, expected: str) -> int:
    """The integer key of a global ID that must name an ``expected`` node."""
    type_name, key = from_global_id(global_id)
    if type_name != expected or not key.isdigit() or len(key) > 12:
        raise BadUserInput(f"{global_id!r} is not a {expected} ID.")
    return int(key)
