"""Per-request cost of the authentication and CSRF checks (median over N calls, µs).

    .venv/bin/python bench/auth_overhead.py   # reuses the tests' JWKS server

Keys come from a real JWKS served on loopback (tests/support/jwks.py); after the first fetch
every check is in-process, so this is the overhead each request pays.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

# tests.support is not installed: it is imported from the checkout this script is in.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.authenticator import Authenticator
from gateway.config import Settings
from gateway.middleware.csrf import needs_no_preflight
from tests.support.jwks import serve_jwks
from tests.support.tokens import claims, ec_jwk, rsa_jwk

N = 2000


async def median_us(check: Callable[..., Awaitable[object]], *args: object) -> float:
    samples = []
    for _ in range(N):
        started = time.perf_counter()
        await check(*args)
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


async def main() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with serve_jwks() as server:
        server.keys = [rsa_jwk(rsa_key, "rsa-1"), ec_jwk(ec_key, "ec-1")]
        settings = Settings(jwks_url=server.url)
        auth = Authenticator.from_settings(settings)
        payload = claims(settings)
        tokens = {
            "HS256": jwt.encode(payload, settings.jwt_secret, algorithm="HS256"),
            "RS256": jwt.encode(payload, rsa_key, algorithm="RS256", headers={"kid": "rsa-1"}),
            "ES256": jwt.encode(payload, ec_key, algorithm="ES256", headers={"kid": "ec-1"}),
        }
        await auth.viewer(f"Bearer {tokens['RS256']}")  # warm the key cache
        print(f"anonymous (no header)   {await median_us(auth.viewer, None):8.1f} µs")
        for alg, token in tokens.items():
            # Every check a first sight: what a token costs before it is remembered.
            auth.tokens.size = 0
            auth.tokens.clear()
            us = await median_us(auth.viewer, f"Bearer {token}")
            auth.tokens.size = 1000
            remembered = await median_us(auth.viewer, f"Bearer {token}")
            print(f"{alg} verify + claims    {us:8.1f} µs   remembered {remembered:6.1f} µs")
        await auth.aclose()

    headers = [(b"content-type", b"application/json"), (b"authorization", b"Bearer x")]

    async def csrf() -> None:
        needs_no_preflight(headers)

    print(f"CSRF content-type check {await median_us(csrf):8.1f} µs")


if __name__ == "__main__":
    asyncio.run(main())
