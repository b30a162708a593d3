"""Verifying GA callbacks' Bearer JWTs (calls.callback_tokens)."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from calls.callback_tokens import (
    ACS_ISSUER,
    CallbackTokenError,
    SigningKeysUnavailable,
    default_issuer,
)
from tests.calls.signed_callbacks import (
    AUDIENCE,
    ISSUER,
    KeyServer,
    new_key,
    public_jwk,
    serve,
    token,
    verifier_for,
)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return new_key()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refused(code: str, authorization: str | None, server: KeyServer) -> None:
    with pytest.raises(CallbackTokenError) as caught:
        verifier_for(server).verify(authorization)
    assert caught.value.code == code
    assert not isinstance(caught.value, SigningKeysUnavailable)


def test_a_good_token_verifies_and_keys_are_fetched_once(key: rsa.RSAPrivateKey) -> None:
    server = serve((key, "key-1"))
    verifier = verifier_for(server)
    for _ in range(3):
        claims = verifier.verify(f"Bearer {token(key)}")
        assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE)
    assert server.requests == [
        f"{ISSUER}/calling/.well-known/acsopenidconfiguration",
        f"{ISSUER}/calling/keys",
    ]


def test_the_scheme_is_case_insensitive(key: rsa.RSAPrivateKey) -> None:
    verifier_for(serve((key, "key-1"))).verify(f"bearer  {token(key)} ")


def test_a_forged_token_is_refused(key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> None:
    # Signed by someone else's key under the provider's key id.
    refused("bad_signature", f"Bearer {token(other_key)}", serve((key, "key-1")))


def test_an_expired_token_is_refused_beyond_the_leeway(key: rsa.RSAPrivateKey) -> None:
    server = serve((key, "key-1"))
    long_ago = time.time() - 400
    refused("token_expired", f"Bearer {token(key, now=long_ago)}", server)
    # Expired 10 s ago: within the 30 s leeway for clock skew.
    verifier_for(server).verify(f"Bearer {token(key, now=time.time() - 310)}")


def test_a_token_not_valid_yet_is_refused(key: rsa.RSAPrivateKey) -> None:
    later = time.time() + 120
    refused("token_not_yet_valid", f"Bearer {token(key, not_before=later)}", serve((key, "key-1")))


def test_a_token_for_another_resource_is_refused(key: rsa.RSAPrivateKey) -> None:
    refused(
        "wrong_audience", f"Bearer {token(key, audience='someone-else')}", serve((key, "key-1"))
    )


def test_a_token_from_another_issuer_is_refused(key: rsa.RSAPrivateKey) -> None:
    forged = token(key, issuer="https://evil.example")
    refused("wrong_issuer", f"Bearer {forged}", serve((key, "key-1")))


def test_a_token_without_expiry_is_refused(key: rsa.RSAPrivateKey) -> None:
    bare = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE}, key, algorithm="RS256", headers={"kid": "key-1"}
    )
    refused("missing_claim", f"Bearer {bare}", serve((key, "key-1")))


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic abc", "HMAC-SHA256 x"])
def test_no_bearer_token_is_refused(authorization: str | None, key: rsa.RSAPrivateKey) -> None:
    refused("no_token", authorization, serve((key, "key-1")))


def test_garbage_is_refused(key: rsa.RSAPrivateKey) -> None:
    refused("malformed_token", "Bearer not.a.jwt", serve((key, "key-1")))


def test_only_rs256_is_accepted(key: rsa.RSAPrivateKey) -> None:
    server = serve((key, "key-1"))
    hs256 = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 60},
        "shared-secret-that-is-long-enough-for-hs256",
        algorithm="HS256",
        headers={"kid": "key-1"},
    )
    refused("bad_algorithm", f"Bearer {hs256}", server)
    unsigned = jwt.encode({"iss": ISSUER, "aud": AUDIENCE}, "", algorithm="none")
    refused("bad_algorithm", f"Bearer {unsigned}", server)
    refused("bad_algorithm", f"Bearer {token(key, algorithm='RS512')}", server)
    assert server.key_fetches == 0  # refused before any key was looked up


def test_an_unknown_key_is_refused(key: rsa.RSAPrivateKey) -> None:
    server = serve((key, "key-1"))
    verifier = verifier_for(server)
    verifier.verify(f"Bearer {token(key)}")
    with pytest.raises(CallbackTokenError) as caught:
        verifier.verify(f"Bearer {token(key, kid='key-9')}")
    assert caught.value.code == "unknown_key"


def test_a_rotated_key_is_picked_up(key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> None:
    server = serve((key, "key-1"))
    clock = Clock()
    verifier = verifier_for(server, monotonic=clock)
    verifier.verify(f"Bearer {token(key)}")
    server.jwks = {"keys": [public_jwk(key, "key-1"), public_jwk(other_key, "key-2")]}
    clock.now += 61
    verifier.verify(f"Bearer {token(other_key, kid='key-2')}")
    assert server.key_fetches == 2


def test_a_flood_of_unknown_keys_fetches_at_most_once_a_minute(key: rsa.RSAPrivateKey) -> None:
    server = serve((key, "key-1"))
    clock = Clock()
    verifier = verifier_for(server, monotonic=clock)
    for number in range(50):
        with pytest.raises(CallbackTokenError, match="unknown key"):
            verifier.verify(f"Bearer {token(key, kid=f'made-up-{number}')}")
    assert server.key_fetches == 1
    clock.now += 60
    with pytest.raises(CallbackTokenError):
        verifier.verify(f"Bearer {token(key, kid='made-up-again')}")
    assert server.key_fetches == 2
    verifier.verify(f"Bearer {token(key)}")  # the real key still works, without a fetch
    assert server.key_fetches == 2


def test_keys_are_refetched_after_a_day(key: rsa.RSAPrivateKey) -> None:
    server = serve((key, "key-1"))
    clock = Clock()
    verifier = verifier_for(server, monotonic=clock)
    verifier.verify(f"Bearer {token(key)}")
    clock.now += 24 * 3600 + 1
    verifier.verify(f"Bearer {token(key)}")
    assert server.key_fetches == 2


def test_unreachable_keys_are_their_own_error_and_are_not_hammered(
    key: rsa.RSAPrivateKey,
) -> None:
    server = serve((key, "key-1"))
    server.failing = True
    clock = Clock()
    verifier = verifier_for(server, monotonic=clock)
    for _ in range(5):
        with pytest.raises(SigningKeysUnavailable):
            verifier.verify(f"Bearer {token(key)}")
    assert len(server.requests) == 1
    server.failing = False
    clock.now += 60
    verifier.verify(f"Bearer {token(key)}")


def test_a_token_without_a_kid_uses_the_only_key(key: rsa.RSAPrivateKey) -> None:
    verifier_for(serve((key, "key-1"))).verify(f"Bearer {token(key, kid=None)}")


def test_a_token_without_a_kid_is_refused_among_several_keys(
    key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    server = serve((key, "key-1"), (other_key, "key-2"))
    refused("unknown_key", f"Bearer {token(key, kid=None)}", server)


@pytest.mark.parametrize(
    ("endpoint", "issuer"),
    [
        ("https://contoso.communication.azure.com", ACS_ISSUER),
        ("https://contoso.unitedstates.communication.azure.com/", ACS_ISSUER),
        ("http://127.0.0.1:8000/acs-emulator/", "http://127.0.0.1:8000/acs-emulator"),
        ("http://localhost:9999", "http://localhost:9999"),
        (
            "https://communication.azure.com.evil.example",
            "https://communication.azure.com.evil.example",
        ),
    ],
)
def test_the_default_issuer(endpoint: str, issuer: str) -> None:
    assert default_issuer(endpoint) == issuer
