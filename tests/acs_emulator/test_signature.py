"""HMAC-SHA256 signing: Microsoft's test vectors (reference 2.5) for both the emulator's verifier
and the tests' own signer, and the verifier's rules."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from acs_emulator.config import decode_access_key
from acs_emulator.signature import (
    SignatureError,
    SignedRequest,
    content_hash,
    hmac_sha256,
    request_target,
    string_to_sign,
    verify,
)
from tests.acs_emulator.signing import HmacAuth

KEY = "pw=="
HOST = "contoso.communicationservices.azure.com"
DATE = "Wed, 13 Apr 2022 18:09:12 GMT"
WHEN = datetime(2022, 4, 13, 18, 9, 12, tzinfo=UTC)
EMPTY_HASH = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
GET_VECTORS = [
    ("/", "88MDmJhUR3m5QhFxb8ztShsSwlGrg7g/6XPnWf7QEO4="),
    ("/testPath", "RoCrHjw7fb9fpHSbqvRUY2xa8RBS0YvI1cxI1x8AS38="),
    ("/testPath?testQuery=yes", "il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I="),
]
POST_BODY = (
    b'{"callbackUri":"https://app.example/cb","targets":[{"phoneNumber":{"value":"+15550100"}}]}'
)
POST_TARGET = "/calling/callConnections?api-version=2024-09-15"
POST_HOST = "contoso.communication.azure.com"


def signed_headers(signature: str, date_header: str = "x-ms-date") -> str:
    return f"HMAC-SHA256 SignedHeaders={date_header};host;x-ms-content-sha256&Signature={signature}"


def vector_request(target: str, signature: str, **overrides: str) -> SignedRequest:
    headers = {
        "host": HOST,
        "x-ms-date": DATE,
        "x-ms-content-sha256": EMPTY_HASH,
        "authorization": signed_headers(signature),
    }
    headers.update(overrides)
    return SignedRequest("GET", target, headers, b"")


def test_hmac_of_banana_matches_the_microsoft_vector() -> None:
    assert (
        hmac_sha256(decode_access_key(KEY), "banana")
        == "88EC05aAS9iXnaimtNO78JLjiPtfWryQB/5QYEzEsu8="
    )


def test_empty_body_hash_matches_the_documented_value() -> None:
    assert content_hash(b"") == EMPTY_HASH


@pytest.mark.parametrize(("target", "expected"), GET_VECTORS)
def test_get_signatures_match_the_microsoft_vectors(target: str, expected: str) -> None:
    message = string_to_sign("GET", target, [DATE, HOST, EMPTY_HASH])

    assert hmac_sha256(decode_access_key(KEY), message) == expected


def test_post_signature_matches_the_reference_vector() -> None:
    body_hash = content_hash(POST_BODY)
    message = string_to_sign("POST", POST_TARGET, [DATE, POST_HOST, body_hash])

    assert body_hash == "woBvojO4qG6r8yxacoaMU4kTLOPaiP2hBJdyJ6iVxVA="
    assert hmac_sha256(decode_access_key(KEY), message) == (
        "fTjPcAxJE0ySwJbsmFz7bYskpgOoedBdH/gg8DhHfgc="
    )


@pytest.mark.parametrize(("target", "expected"), GET_VECTORS)
def test_the_test_signer_matches_the_microsoft_vectors(target: str, expected: str) -> None:
    request = httpx.Request("GET", f"https://{HOST}{target}")

    signed = next(HmacAuth(KEY, date=WHEN).auth_flow(request))

    assert signed.headers["x-ms-date"] == DATE
    assert signed.headers["Authorization"] == signed_headers(expected)


@pytest.mark.parametrize(("target", "signature"), GET_VECTORS)
def test_verify_accepts_the_microsoft_vectors(target: str, signature: str) -> None:
    verify(vector_request(target, signature), decode_access_key(KEY), WHEN, timedelta(minutes=15))


def test_verify_accepts_the_older_date_header() -> None:
    target, signature = GET_VECTORS[1]
    request = vector_request(target, signature, authorization=signed_headers(signature, "date"))
    headers = dict(request.headers)
    headers["date"] = headers.pop("x-ms-date")

    verify(
        SignedRequest("GET", target, headers, b""),
        decode_access_key(KEY),
        WHEN,
        timedelta(minutes=15),
    )


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"authorization": ""}, "missing"),
        ({"authorization": "Bearer abc"}, "scheme"),
        ({"authorization": "HMAC-SHA256 SignedHeaders=x-ms-date;host&Signature=x"}, "include"),
        ({"authorization": signed_headers("AAAA")}, "signature does not match"),
        ({"x-ms-content-sha256": content_hash(b"other")}, "content-sha256"),
        ({"x-ms-date": "yesterday"}, "RFC 1123"),
        ({"host": "evil.example"}, "signature does not match"),
    ],
)
def test_verify_rejects_bad_requests(overrides: dict[str, str], reason: str) -> None:
    target, signature = GET_VECTORS[2]

    with pytest.raises(SignatureError, match=reason):
        verify(
            vector_request(target, signature, **overrides),
            decode_access_key(KEY),
            WHEN,
            timedelta(minutes=15),
        )


@pytest.mark.parametrize("skew", [timedelta(minutes=16), -timedelta(minutes=16)])
def test_verify_rejects_a_date_too_far_from_the_clock(skew: timedelta) -> None:
    target, signature = GET_VECTORS[0]

    with pytest.raises(SignatureError, match="away from the server clock"):
        verify(
            vector_request(target, signature),
            decode_access_key(KEY),
            WHEN + skew,
            timedelta(minutes=15),
        )


@pytest.mark.parametrize(
    ("scope", "target"),
    [
        (
            {"raw_path": b"/acs-emulator/calls/a%20b", "query_string": b"x=1"},
            "/acs-emulator/calls/a%20b?x=1",
        ),
        (
            {"path": "/acs-emulator/calls/a b", "root_path": "/acs-emulator"},
            "/acs-emulator/calls/a%20b",
        ),
        ({"path": "/calls/a", "root_path": "/acs-emulator"}, "/acs-emulator/calls/a"),
        ({"path": "/", "query_string": b"testQuery=yes"}, "/?testQuery=yes"),
    ],
    ids=["raw path", "full path", "stripped path", "root"],
)
def test_request_target_is_the_path_and_query_as_sent(
    scope: dict[str, object], target: str
) -> None:
    assert request_target({"type": "http", "path": "/", **scope}) == target


def test_a_mounted_emulator_accepts_the_sdks_host_with_the_endpoint_path() -> None:
    # The GA SDK signs its endpoint without the scheme as the host: "host/prefix" when mounted.
    key = decode_access_key(KEY)
    values = [DATE, f"{HOST}/acs-emulator", EMPTY_HASH]
    signature = hmac_sha256(key, string_to_sign("GET", "/acs-emulator/x", values))
    request = vector_request("/acs-emulator/x", signature)

    verify(request, key, WHEN, timedelta(minutes=15), host_suffix="/acs-emulator")
    with pytest.raises(SignatureError):
        verify(request, key, WHEN, timedelta(minutes=15))
