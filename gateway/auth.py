"""Development authentication: HS256 bearer JWTs naming the listener as ``sub``."""

from __future__ import annotations

import time

import jwt

from gateway.config import Settings
from resolvers.context import Viewer

_HANDLE_PREFIX = "user-"


class InvalidToken(Exception):
    """The bearer token is malformed, forged, expired or names no listener."""


def issue_token(settings: Settings, handle: str, *, ttl_s: int | None = None) -> str:
    """A signed token for listener ``handle`` (``user-N``)."""
    viewer_from_handle(handle)  # refuse to sign a handle that could never authenticate
    now = int(time.time())
    claims = {
        "sub": handle,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + (ttl_s or settings.token_ttl_s),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def viewer_from_handle(handle: str) -> Viewer:
    number = handle.removeprefix(_HANDLE_PREFIX)
    if not handle.startswith(_HANDLE_PREFIX) or not number.isdigit() or len(number) > 12:
        raise InvalidToken(f"{handle!r} is not a listener handle like 'user-1'.")
    return Viewer(user_id=int(number))


def viewer_from_authorization(settings: Settings, header: str | None) -> Viewer | None:
    """The viewer named by an ``Authorization`` header; None without one."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Use 'Authorization: Bearer <token>'.")
    try:
        claims = jwt.decode(
            token.strip(),
            settings.jwt_secret,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("The token has expired.") from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"The token is not valid: {exc}.") from None
    return viewer_from_handle(str(claims["sub"]))
