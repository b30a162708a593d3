"""GA callbacks through the callback endpoint: the Bearer JWT is verified before anything is
stored, the URL's secret is still checked, and CloudEvents are stored once per id."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from calls.models import Call, CallEvent, CallState
from calls.provider import install_callback_verifier
from tests.calls.signed_callbacks import KeyServer, new_key, serve, token, verifier_for
from tests.calls.test_callbacks_ga import CALL, cloud_event
from tests.factories import CallFactory

pytestmark = pytest.mark.dialect("ga")


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="module")
def forger() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def keys(key: rsa.RSAPrivateKey, settings: Any) -> Iterator[KeyServer]:
    settings.ACS_API_VERSION = "2026-03-12"
    server = serve((key, "key-1"))
    install_callback_verifier(verifier_for(server))
    yield server
    install_callback_verifier(None)


@pytest.fixture
def call(db: None) -> Call:
    return CallFactory.create(provider_call_id=CALL, state=CallState.ESTABLISHING)


def post(call: Call, body: Any, authorization: str | None, secret: str | None = None) -> Any:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return Client().post(
        f"/calls/{call.pk}/events/{secret or call.callback_secret}/",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_a_signed_callback_is_stored_and_applied(
    call: Call, keys: KeyServer, key: rsa.RSAPrivateKey
) -> None:
    response = post(call, [cloud_event("CallConnected")], f"Bearer {token(key)}")
    assert (response.status_code, response.json()) == (200, {"received": 1})
    call.refresh_from_db()
    assert call.state == CallState.ESTABLISHED
    assert CallEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda key, forger: token(forger), "bad_signature"),
        (lambda key, forger: token(key, now=time.time() - 600), "token_expired"),
        (lambda key, forger: token(key, audience="another-resource"), "wrong_audience"),
        (lambda key, forger: token(key, issuer="https://evil.example"), "wrong_issuer"),
        (lambda key, forger: token(forger, kid="key-2"), "unknown_key"),
        (lambda key, forger: None, "no_token"),
    ],
    ids=["forged", "expired", "wrong-audience", "wrong-issuer", "unknown-key", "missing"],
)
def test_a_bad_token_gets_401_and_changes_nothing(
    call: Call,
    keys: KeyServer,
    key: rsa.RSAPrivateKey,
    forger: rsa.RSAPrivateKey,
    make_token: Any,
    code: str,
) -> None:
    signed = make_token(key, forger)
    authorization = f"Bearer {signed}" if signed is not None else None
    response = post(call, [cloud_event("CallConnected")], authorization)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert set(response.json()) == {"code", "message"}
    assert not CallEvent.objects.exists()
    call.refresh_from_db()
    assert call.state == CallState.ESTABLISHING


def test_a_good_token_does_not_excuse_a_wrong_secret(
    call: Call, keys: KeyServer, key: rsa.RSAPrivateKey
) -> None:
    response = post(call, [cloud_event("CallConnected")], f"Bearer {token(key)}", secret="wrong")
    assert (response.status_code, response.json()["code"]) == (401, "bad_secret")
    assert not CallEvent.objects.exists()


def test_unreachable_keys_answer_503_so_the_provider_may_deliver_again(
    call: Call, keys: KeyServer, key: rsa.RSAPrivateKey
) -> None:
    keys.failing = True
    response = post(call, [cloud_event("CallConnected")], f"Bearer {token(key)}")
    assert (response.status_code, response.json()["code"]) == (503, "not_stored")
    assert not CallEvent.objects.exists()


def test_a_redelivered_cloud_event_is_stored_once(
    call: Call, keys: KeyServer, key: rsa.RSAPrivateKey
) -> None:
    first = cloud_event("PlayCompleted", event_id="e-1", operationContext="p")
    # The same event delivered again, re-serialised with a field the first lacked.
    again = cloud_event("PlayCompleted", event_id="e-1", operationContext="p", extra=1)
    other = cloud_event("PlayCompleted", event_id="e-2", operationContext="p")
    for body in ([first], [again, other], [other]):
        assert post(call, body, f"Bearer {token(key)}").status_code == 200
    assert sorted(CallEvent.objects.values_list("payload__id", flat=True)) == ["e-1", "e-2"]


def test_the_preview_dialect_needs_no_token(call: Call, settings: Any) -> None:
    settings.ACS_API_VERSION = "2021-04-15-preview1"
    response = post(call, [cloud_event("CallConnected")], None)
    assert response.status_code == 200
