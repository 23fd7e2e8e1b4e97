"""Bearer JWT authentication: who the viewer is.

Two key sources, chosen by the token's ``alg`` header so key types never mix (an RSA public
key is never tried as an HMAC secret):

- HS256 with ``CROSSFADE_JWT_SECRET``: development tokens (``crossfade token user-1``); in
  production only when a real secret is set, never the published development one;
- RS256/ES256 (``CROSSFADE_JWKS_ALGORITHMS``) with the identity provider's keys from
  ``CROSSFADE_JWKS_URL``, picked by the token's ``kid``.

Every token must carry ``exp``, ``iss``, ``aud`` and ``sub`` (a listener handle); ``nbf`` is
checked when present. A verified token is remembered until its ``exp`` (``token_cache.py``),
never past the key that verified it: a JWKS refresh that drops or replaces the key, or a new
secret (:meth:`Authenticator.rotate_secret`), refuses it at once.
"""

from __future__ import annotations

import enum
import time
from typing import Any, Literal

import httpx
import jwt

from gateway.config import Settings
from gateway.jwks import JwksCache, JwksUnavailable, UnknownKey
from gateway.token_cache import TokenCache, Verified
from resolvers.clients.viewer import Viewer

_HANDLE_PREFIX = "user-"
_REQUIRED_CLAIMS = ["exp", "sub", "iss", "aud"]


class _Unknown(enum.Enum):
    UNKNOWN = enum.auto()


# What :meth:`Authenticator.remembered` answers for a header it cannot judge without work.
UNKNOWN = _Unknown.UNKNOWN


class InvalidToken(Exception):
    """The bearer token is malformed, forged, expired or names no listener."""


class KeysUnavailable(Exception):
    """The identity provider's keys cannot be fetched: the token cannot be checked now."""


def issue_token(settings: Settings, handle: str, *, ttl_s: int | None = None) -> str:
    """A signed development token (HS256) for listener ``handle`` (``user-N``)."""
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


class _Secret:
    """One generation of the HS256 secret: cached verifications name the one they used."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value


class Authenticator:
    """Turns an ``Authorization`` header into a viewer; one per process."""

    def __init__(self, settings: Settings, jwks: JwksCache | None = None) -> None:
        self.settings = settings
        self.jwks = jwks
        self.tokens = TokenCache(settings.auth_cache_size)
        self._secret = _Secret(settings.jwt_secret)
        self.verifications = 0  # signature checks made (tests and benchmarks read it)

    def rotate_secret(self, secret: str) -> None:
        """Sign-ins with the old HS256 secret stop at once, remembered ones included."""
        self._secret = _Secret(secret)

    def _trusted(self, key: object) -> bool:
        if key is self._secret:
            return True
        if self.jwks is None or not isinstance(key, jwt.PyJWK) or key.key_id is None:
            return False
        # Only the key set as last fetched, never a stale one: past its TTL the slow path
        # refetches, and a key that was removed or replaced stops verifying anything.
        return self.jwks.current(key.key_id) is key

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        if settings.jwks_url is None:
            return cls(settings)
        client = httpx.AsyncClient(timeout=settings.jwks_timeout_s, follow_redirects=False)
        jwks = JwksCache(
            settings.jwks_url,
            client=client,
            algorithms=settings.jwks_algorithms,
            ttl_s=settings.jwks_ttl_s,
            min_refresh_s=settings.jwks_min_refresh_s,
            max_bytes=settings.jwks_max_bytes,
        )
        return cls(settings, jwks)

    async def aclose(self) -> None:
        if self.jwks is not None:
            await self.jwks.client.aclose()

    def remembered(self, header: bytes | None) -> Viewer | Literal[_Unknown.UNKNOWN] | None:
        """The viewer of a header judged before (None: a guest), without verifying anything;
        ``UNKNOWN`` when it needs :meth:`viewer` (not remembered, or malformed)."""
        if header is None:
            return None
        scheme, _, token = header.decode("latin-1").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return UNKNOWN
        found = self.tokens.get(self.tokens.digest(token), self._trusted)
        return UNKNOWN if found is None else found

    async def viewer(self, header: str | None) -> Viewer | None:
        """The viewer named by an ``Authorization`` header; None without one."""
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("Use 'Authorization: Bearer <token>'.")
        digest = self.tokens.digest(token)
        remembered = self.tokens.get(digest, self._trusted)
        if remembered is not None:
            return remembered
        try:
            alg = str(jwt.get_unverified_header(token).get("alg"))
            key, algorithms = await self._key(token, alg)
            self.verifications += 1
            claims = jwt.decode(
                token,
                key.value if isinstance(key, _Secret) else key,
                algorithms=algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_s,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("The token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("The token is not valid yet.") from None
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"The token is not valid: {exc}.") from None
        viewer = viewer_from_handle(str(claims["sub"]))
        expires_at = float(claims["exp"]) + self.settings.jwt_leeway_s
        self.tokens.put(digest, Verified(viewer, expires_at, key))
        return viewer

    async def _key(self, token: str, alg: str) -> tuple[Any, list[str]]:
        if alg == "HS256" and self.settings.hs256_enabled:
            return self._secret, ["HS256"]
        if self.jwks is None or alg not in self.jwks.algorithms:
            raise InvalidToken(f"Tokens signed with {alg!r} are not accepted here.")
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("The token's header names no key ('kid').")
        try:
            key = await self.jwks.key(kid)
        except UnknownKey:
            raise InvalidToken("The token was signed with an unknown key.") from None
        except JwksUnavailable:
            raise KeysUnavailable("The identity provider's keys cannot be fetched.") from None
        if key.algorithm_name != alg:
            raise InvalidToken(f"Key {kid!r} does not sign {alg!r} tokens.")
        return key, [alg]
