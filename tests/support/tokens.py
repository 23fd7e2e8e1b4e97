"""Bearer tokens: development tokens for a listener handle, and JWTs signed with keys that a
test publishes as JWKs (as an identity provider would)."""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from gateway.authenticator import issue_token
from gateway.config import Settings

# What jwt.encode signs with: an HMAC secret or a private key.
SigningKey = str | bytes | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def authorization(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def bearer(handle: str) -> dict[str, str]:
    """The Authorization header of listener ``handle`` (``user-1``): a development token."""
    return authorization(issue_token(Settings(), handle))


def claims(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Valid claims for ``user-1`` under ``settings``; an override of None drops that claim."""
    now = int(time.time())
    base = {
        "sub": "user-1",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def sign(key: SigningKey, alg: str, kid: str | None, payload: dict[str, Any]) -> str:
    headers = {"kid": kid} if kid else {}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def rsa_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    """The public half of ``key`` as a signing JWK named ``kid``."""
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": "ES256", "use": "sig"}
