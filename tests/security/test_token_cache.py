"""Authentication at cache speed: a verified token is remembered (by its hash) until its
exp, and never past the key that verified it: a rotated secret or a JWKS key the provider
removed refuses it at once, remembered or not."""

from __future__ import annotations

import pytest

from gateway.config import Settings
from tests.security.test_jwt import (  # noqa: F401 (the JWKS and gateway fixtures)
    OTHER_RSA_KEY,
    RSA_KEY,
    ManualClock,
    assert_401,
    gateway,
    jwks,
    me,
)
from tests.support.app import Gateway
from tests.support.jwks import JwksServer
from tests.support.tokens import claims, rsa_jwk, sign

pytestmark = pytest.mark.anyio


async def test_a_token_is_verified_once_then_remembered(gateway: Gateway) -> None:  # noqa: F811
    client = await gateway()
    auth = client.app.state.authenticator
    token = sign(Settings().jwt_secret, "HS256", None, claims(Settings()))
    answers = [await me(client, token) for _ in range(5)]
    assert [a.json()["data"] for a in answers] == [{"me": {"handle": "user-1"}}] * 5
    assert auth.verifications == 1
    # the cache holds hashes, never the tokens themselves
    assert token.encode() not in repr(auth.tokens._verified).encode()


async def test_a_remembered_token_expires_with_its_exp(gateway: Gateway) -> None:  # noqa: F811
    client = await gateway(jwt_leeway_s=0)
    auth = client.app.state.authenticator
    clock = ManualClock()
    clock.now = claims(Settings())["iat"]
    auth.tokens.clock = clock
    token = sign(Settings().jwt_secret, "HS256", None, claims(Settings(), exp=clock.now + 60))
    assert (await me(client, token)).is_success
    clock.now += 61  # past exp: the remembered verification is dropped, and PyJWT refuses
    auth.tokens.clock = clock
    assert len(auth.tokens) == 1
    # the real clock has not reached exp, so only the cache's own expiry can refuse it here
    assert auth.tokens.get(auth.tokens.digest(token), lambda key: True) is None


async def test_a_rotated_secret_refuses_remembered_tokens_at_once(
    gateway: Gateway,  # noqa: F811
) -> None:
    client = await gateway()
    auth = client.app.state.authenticator
    old = sign(Settings().jwt_secret, "HS256", None, claims(Settings()))
    assert (await me(client, old)).is_success
    auth.rotate_secret("a-new-secret-for-this-test-only-0123456789")
    assert_401(await me(client, old), "not valid")
    new = sign("a-new-secret-for-this-test-only-0123456789", "HS256", None, claims(Settings()))
    assert (await me(client, new)).json()["data"] == {"me": {"handle": "user-1"}}


async def test_a_key_the_provider_removed_stops_remembered_tokens_at_once(
    gateway: Gateway,  # noqa: F811
    jwks: JwksServer,  # noqa: F811
) -> None:
    client = await gateway(jwks_min_refresh_s=0)
    auth = client.app.state.authenticator
    old = sign(RSA_KEY, "RS256", "rsa-1", claims(Settings()))
    assert (await me(client, old)).is_success
    assert (await me(client, old)).is_success
    assert auth.verifications == 1
    # the provider rotates: rsa-1 goes; the first token naming rsa-2 makes the gateway refetch
    jwks.keys = [rsa_jwk(OTHER_RSA_KEY, "rsa-2")]
    new = sign(OTHER_RSA_KEY, "RS256", "rsa-2", claims(Settings()))
    assert (await me(client, new)).is_success
    assert jwks.hits == 2
    # the remembered rsa-1 verification is no longer trusted: 401, not its cached viewer
    assert_401(await me(client, old), "unknown key")


async def test_a_stale_key_set_is_fetched_again_before_a_remembered_token_passes(
    gateway: Gateway,  # noqa: F811
    jwks: JwksServer,  # noqa: F811
) -> None:
    client = await gateway(jwks_min_refresh_s=0)
    auth = client.app.state.authenticator
    clock = ManualClock()
    auth.jwks.clock = clock
    token = sign(RSA_KEY, "RS256", "rsa-1", claims(Settings()))
    assert (await me(client, token)).is_success
    clock.now += Settings().jwks_ttl_s + 1
    jwks.keys = []  # gone at the provider
    assert_401(await me(client, token), "unknown key")
    assert jwks.hits == 2


async def test_the_cache_is_bounded(gateway: Gateway) -> None:  # noqa: F811
    client = await gateway(auth_cache_size=2)
    auth = client.app.state.authenticator
    for handle in ("user-1", "user-2", "user-3"):
        token = sign(Settings().jwt_secret, "HS256", None, claims(Settings(), sub=handle))
        assert (await me(client, token)).json()["data"] == {"me": {"handle": handle}}
    assert len(auth.tokens) == 2
