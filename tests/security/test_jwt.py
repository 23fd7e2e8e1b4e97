"""Bearer JWT authentication: HS256 for development, RS256/ES256 from a real JWKS endpoint.

The JWKS is served over loopback by uvicorn (tests/support/jwks.py) with keys made here; the
gateway fetches it with httpx like it would an identity provider's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.utils import base64url_encode

from gateway.config import Settings
from gateway.jwks import JwksCache, JwksUnavailable, UnknownKey
from tests.support.app import Gateway, GatewayClient, gateway_client
from tests.support.graphql import payload, post
from tests.support.jwks import JwksServer, serve_jwks
from tests.support.tokens import authorization, claims, ec_jwk, rsa_jwk, sign

pytestmark = pytest.mark.anyio

ME = "{ me { handle } }"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with serve_jwks() as server:
        server.keys = [rsa_jwk(RSA_KEY, "rsa-1"), ec_jwk(EC_KEY, "ec-1")]
        yield server


@pytest.fixture
def gateway(gateway: Gateway, jwks: JwksServer) -> Gateway:
    """Builds a gateway over the test store that trusts the loopback JWKS."""

    async def build(**overrides: Any) -> GatewayClient:
        options: dict[str, Any] = {"jwks_url": jwks.url, "jwks_min_refresh_s": 3600}
        return await gateway(**{**options, **overrides})

    return build


async def me(client: httpx.AsyncClient, token: str | None) -> httpx.Response:
    return await post(client, payload(ME), headers=authorization(token) if token else {})


def assert_401(response: httpx.Response, message_part: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert message_part in body["errors"][0]["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_rs256_and_es256_tokens_from_the_jwks_sign_in(gateway: Gateway) -> None:
    client = await gateway()
    settings = Settings()
    for key, alg, kid in ((RSA_KEY, "RS256", "rsa-1"), (EC_KEY, "ES256", "ec-1")):
        r = await me(client, sign(key, alg, kid, claims(settings, sub="user-3")))
        assert r.status_code == 200, r.text
        assert r.json()["data"] == {"me": {"handle": "user-3"}}


async def test_hs256_development_token_still_works_beside_the_jwks(gateway: Gateway) -> None:
    client = await gateway()
    settings = Settings()
    r = await me(client, sign(settings.jwt_secret, "HS256", None, claims(settings)))
    assert r.json()["data"] == {"me": {"handle": "user-1"}}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"aud": "someone-else"}, "Audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"exp": None}, "exp"),
        ({"sub": "admin"}, "listener handle"),
    ],
    ids=["expired", "not-yet-valid", "wrong-aud", "wrong-iss", "no-exp", "bad-sub"],
)
async def test_invalid_claims_are_401(
    gateway: Gateway, overrides: dict[str, Any], message: str
) -> None:
    client = await gateway()
    token = sign(RSA_KEY, "RS256", "rsa-1", claims(Settings(), **overrides))
    assert_401(await me(client, token), message)


async def test_small_clock_skew_is_tolerated(gateway: Gateway) -> None:
    client = await gateway(jwt_leeway_s=30)
    token = sign(RSA_KEY, "RS256", "rsa-1", claims(Settings(), nbf=int(time.time()) + 5))
    assert (await me(client, token)).status_code == 200


def hs256_keyed_with(secret: bytes, payload: dict[str, Any]) -> str:
    """An HS256 token built by hand: PyJWT itself refuses a PEM key as an HMAC secret."""
    header = base64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    signing_input = header + b"." + base64url_encode(json.dumps(payload).encode())
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64url_encode(mac)).decode()


async def test_forged_and_malformed_tokens_are_401(gateway: Gateway) -> None:
    client = await gateway()
    settings = Settings()
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    cases = {
        "signed by another key under a published kid": sign(
            OTHER_RSA_KEY, "RS256", "rsa-1", claims(settings)
        ),
        "HS256 keyed with the public RSA key": hs256_keyed_with(public_pem, claims(settings)),
        "not a JWT": "not.a.jwt",
        "ES256 header naming an RSA key": sign(EC_KEY, "ES256", "rsa-1", claims(settings)),
        "no kid": sign(RSA_KEY, "RS256", None, claims(settings)),
        "unsigned (alg none)": jwt.encode(claims(settings), "", algorithm="none"),
    }
    for name, token in cases.items():
        r = await me(client, token)
        assert r.status_code == 401, (name, r.text)
        assert r.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}, name


async def test_header_shapes_other_than_one_bearer_token_are_401(gateway: Gateway) -> None:
    client = await gateway()
    token = sign(RSA_KEY, "RS256", "rsa-1", claims(Settings()))
    for value in ("Basic dXNlcjpwYXNz", "Bearer", f"Token {token}"):
        r = await client.post("/graphql", json={"query": ME}, headers={"authorization": value})
        assert_401(r, "Bearer")
    twice = [("authorization", f"Bearer {token}"), ("authorization", f"Bearer {token}")]
    r = await client.post("/graphql", json={"query": ME}, headers=twice)
    assert_401(r, "one Authorization header")


async def test_production_refuses_tokens_signed_with_the_development_secret(
    gateway: Gateway,
) -> None:
    client = await gateway(environment="production")
    dev = Settings()
    r = await me(client, sign(dev.jwt_secret, "HS256", None, claims(dev)))
    assert_401(r, "'HS256' are not accepted")
    ok = await me(client, sign(RSA_KEY, "RS256", "rsa-1", claims(dev)))
    assert ok.json()["data"] == {"me": {"handle": "user-1"}}


async def test_forged_kids_do_not_hammer_the_jwks_endpoint(
    gateway: Gateway, jwks: JwksServer
) -> None:
    # given a gateway that has fetched the key set once
    client = await gateway(jwks_min_refresh_s=3600)
    assert (await me(client, sign(RSA_KEY, "RS256", "rsa-1", claims(Settings())))).is_success
    assert jwks.hits == 1
    # when 20 tokens name kids nobody published
    for i in range(20):
        forged = sign(OTHER_RSA_KEY, "RS256", f"forged-{i}", claims(Settings()))
        assert_401(await me(client, forged), "unknown key")
    # then the provider was not asked again
    assert jwks.hits == 1


async def test_a_rotated_key_is_picked_up_on_its_first_token(
    gateway: Gateway, jwks: JwksServer
) -> None:
    client = await gateway(jwks_min_refresh_s=0)
    assert (await me(client, sign(RSA_KEY, "RS256", "rsa-1", claims(Settings())))).is_success
    # the provider rotates: a new key appears, the old one goes
    jwks.keys = [rsa_jwk(OTHER_RSA_KEY, "rsa-2")]
    r = await me(client, sign(OTHER_RSA_KEY, "RS256", "rsa-2", claims(Settings())))
    assert r.json()["data"] == {"me": {"handle": "user-1"}}
    assert jwks.hits == 2


async def test_unreachable_jwks_is_503_not_401(settings_env: Path) -> None:
    with serve_jwks() as server:
        url = server.url  # a port that nothing listens on once the server stops
    async with gateway_client(Settings(data_dir=settings_env, jwks_url=url)) as client:
        r = await me(client, sign(RSA_KEY, "RS256", "rsa-1", claims(Settings())))
    assert r.status_code == 503
    assert r.json()["errors"][0]["extensions"] == {
        "code": "BACKEND_UNAVAILABLE",
        "service": "identity",
    }


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_cache_refreshes_after_its_ttl_and_keeps_keys_when_the_provider_fails(
    jwks: JwksServer,
) -> None:
    clock = ManualClock()
    async with httpx.AsyncClient() as http:
        cache = JwksCache(
            jwks.url,
            client=http,
            algorithms=["RS256", "ES256"],
            ttl_s=600,
            min_refresh_s=30,
            max_bytes=65536,
            clock=clock,
        )
        assert (await cache.key("rsa-1")).algorithm_name == "RS256"
        assert (await cache.key("ec-1")).algorithm_name == "ES256"
        assert cache.fetches == 1
        # past the TTL the set is fetched again; a failing provider leaves the old keys
        clock.now += 601
        jwks.fail = True
        assert (await cache.key("rsa-1")).algorithm_name == "RS256"
        assert cache.fetches == 2
        # and is not retried before the minimum refresh interval
        assert (await cache.key("rsa-1")).algorithm_name == "RS256"
        assert cache.fetches == 2
        clock.now += 30
        jwks.fail = False
        jwks.keys = [rsa_jwk(OTHER_RSA_KEY, "rsa-2")]
        assert (await cache.key("rsa-2")).algorithm_name == "RS256"
        assert cache.fetches == 3
        with pytest.raises(UnknownKey):
            await cache.key("rsa-1")


async def test_cache_ignores_symmetric_and_encryption_keys(jwks: JwksServer) -> None:
    jwks.keys = [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {**rsa_jwk(RSA_KEY, "enc"), "use": "enc"},
        {**rsa_jwk(RSA_KEY, "hs"), "alg": "HS256"},
        rsa_jwk(RSA_KEY, "ok"),
    ]
    async with httpx.AsyncClient() as http:
        cache = JwksCache(
            jwks.url,
            client=http,
            algorithms=["RS256"],
            ttl_s=600,
            min_refresh_s=3600,
            max_bytes=65536,
        )
        assert (await cache.key("ok")).key_id == "ok"
        for kid in ("hmac", "enc", "hs"):
            with pytest.raises(UnknownKey):
                await cache.key(kid)


async def test_cache_refuses_an_oversized_key_set(jwks: JwksServer) -> None:
    jwks.keys = [rsa_jwk(RSA_KEY, f"k{i}") for i in range(50)]
    async with httpx.AsyncClient() as http:
        cache = JwksCache(
            jwks.url,
            client=http,
            algorithms=["RS256"],
            ttl_s=600,
            min_refresh_s=3600,
            max_bytes=4096,
        )
        with pytest.raises(JwksUnavailable):
            await cache.key("k1")


def test_settings_refuse_symmetric_jwks_algorithms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSFADE_JWKS_ALGORITHMS", "RS256,HS256")
    with pytest.raises(ValueError, match="JWKS_ALGORITHMS"):
        Settings()
    monkeypatch.setenv("CROSSFADE_JWKS_ALGORITHMS", "RS256, ES256")
    assert Settings().jwks_algorithms == ["RS256", "ES256"]


def test_production_needs_a_secret_or_a_jwks_url() -> None:
    with pytest.raises(ValueError, match="JWKS_URL"):
        Settings(environment="production")
    assert not Settings(environment="production", jwks_url="http://127.0.0.1:1/j").hs256_enabled
    assert Settings(environment="production", jwt_secret="s" * 32).hs256_enabled
