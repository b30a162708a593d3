import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from calls.signing import (
    ConnectionStringError,
    compute_signature,
    content_hash,
    http_date,
    parse_connection_string,
    signature_headers,
    string_to_sign,
)

# Microsoft's vectors: Azure/azure-sdk-for-python azure-communication-identity/tests/test_hmac.py
KEY = base64.b64decode("pw==")
HOST = "contoso.communicationservices.azure.com"
DATE = datetime(2022, 4, 13, 18, 9, 12, tzinfo=UTC)
EMPTY_BODY_HASH = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_hmac_of_plain_string_matches_microsoft_vector() -> None:
    assert compute_signature(KEY, "banana") == "88EC05aAS9iXnaimtNO78JLjiPtfWryQB/5QYEzEsu8="


@pytest.mark.parametrize(
    ("path_and_query", "signature"),
    [
        ("/", "88MDmJhUR3m5QhFxb8ztShsSwlGrg7g/6XPnWf7QEO4="),
        ("/testPath", "RoCrHjw7fb9fpHSbqvRUY2xa8RBS0YvI1cxI1x8AS38="),
        ("/testPath?testQuery=yes", "il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I="),
    ],
)
def test_get_requests_match_microsoft_vectors(path_and_query: str, signature: str) -> None:
    headers = signature_headers(
        access_key=KEY, method="GET", path_and_query=path_and_query, host=HOST, body=b"", now=DATE
    )

    assert headers == {
        "x-ms-date": "Wed, 13 Apr 2022 18:09:12 GMT",
        "x-ms-content-sha256": EMPTY_BODY_HASH,
        "Authorization": (
            f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"
        ),
    }


def test_post_with_body_matches_self_computed_vector() -> None:
    body = (
        b'{"callbackUri":"https://app.example/cb",'
        b'"targets":[{"phoneNumber":{"value":"+15550100"}}]}'
    )
    assert len(body) == 90

    headers = signature_headers(
        access_key=KEY,
        method="POST",
        path_and_query="/calling/callConnections?api-version=2024-09-15",
        host="contoso.communication.azure.com",
        body=body,
        now=DATE,
    )

    assert headers["x-ms-content-sha256"] == "woBvojO4qG6r8yxacoaMU4kTLOPaiP2hBJdyJ6iVxVA="
    assert headers["Authorization"].endswith(
        "&Signature=fTjPcAxJE0ySwJbsmFz7bYskpgOoedBdH/gg8DhHfgc="
    )


def test_string_to_sign_is_three_lines_without_trailing_newline() -> None:
    text = string_to_sign(
        method="post", path_and_query="/a?b=c", date="D", host="h:1", body_hash="X"
    )

    assert text == "POST\n/a?b=c\nD;h:1;X"


def test_empty_body_has_the_sha256_of_nothing() -> None:
    assert content_hash(b"") == EMPTY_BODY_HASH


def test_http_date_is_imf_fixdate_in_gmt_from_any_offset() -> None:
    moment = datetime(2022, 4, 13, 20, 9, 12, tzinfo=timezone(timedelta(hours=2)))

    assert http_date(moment) == "Wed, 13 Apr 2022 18:09:12 GMT"


def test_http_date_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        http_date(datetime(2022, 4, 13, 18, 9, 12))  # noqa: DTZ001 - the point of the test


def test_connection_string_keeps_key_padding_and_strips_trailing_slash() -> None:
    parsed = parse_connection_string(
        "endpoint=https://contoso.communication.azure.com/;accesskey=pw=="
    )

    assert parsed.endpoint == "https://contoso.communication.azure.com"
    assert parsed.access_key == KEY


def test_connection_string_names_are_case_insensitive_and_order_free() -> None:
    parsed = parse_connection_string(" AccessKey=pw== ; Endpoint=http://127.0.0.1:8100/acs/ ; ")

    assert parsed.endpoint == "http://127.0.0.1:8100/acs"
    assert parsed.access_key == KEY


def test_connection_string_ignores_unknown_settings() -> None:
    parsed = parse_connection_string("endpoint=https://h/;accesskey=pw==;region=westeurope")

    assert parsed.endpoint == "https://h"


def test_connection_string_repr_hides_the_key() -> None:
    parsed = parse_connection_string("endpoint=https://h/;accesskey=c2VjcmV0LWtleQ==")

    assert "c2VjcmV0" not in repr(parsed)
    assert "secret" not in repr(parsed)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "no endpoint"),
        ("endpoint=https://h", "no accesskey"),
        ("accesskey=pw==", "no endpoint"),
        ("endpoint=https://h;accesskey=", "no accesskey"),
        ("endpoint=;accesskey=pw==", "no endpoint"),
        ("endpoint=https://h;garbage;accesskey=pw==", "without '='"),
        ("=x;endpoint=https://h;accesskey=pw==", "without '='"),
        ("endpoint=https://h;Endpoint=https://i;accesskey=pw==", "repeats 'endpoint'"),
        ("endpoint=https://h;accesskey=not base64!", "not valid base64"),
        ("endpoint=https://h;accesskey=pw=", "not valid base64"),
        ("endpoint=ftp://h;accesskey=pw==", "http(s) URL"),
        ("endpoint=contoso.communication.azure.com;accesskey=pw==", "http(s) URL"),
        ("endpoint=https://;accesskey=pw==", "http(s) URL"),
        ("endpoint=https://h:port;accesskey=pw==", "not a URL"),
        ("endpoint=https://h:99999;accesskey=pw==", "not a URL"),
        ("endpoint=https://u:p@h;accesskey=pw==", "credentials"),
        ("endpoint=https://h/?x=1;accesskey=pw==", "query"),
    ],
)
def test_malformed_connection_strings_are_rejected_clearly(value: str, fragment: str) -> None:
    with pytest.raises(ConnectionStringError) as caught:
        parse_connection_string(value)

    assert fragment in str(caught.value)


def test_connection_string_errors_never_quote_the_key() -> None:
    with pytest.raises(ConnectionStringError) as caught:
        parse_connection_string("endpoint=ftp://h;accesskey=c2VjcmV0LWtleQ==")

    assert "c2VjcmV0" not in str(caught.value)
