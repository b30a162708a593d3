"""Domain errors carry their HTTP status, and every interface answers with it in one shape."""

import importlib
import pkgutil
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import Client

from calls.models import CallState
from config.api_errors import api_exception_handler
from config.errors import DomainError
from tests.conftest import token_client
from tests.factories import AudioPromptFactory, CallFactory
from tests.provider_fake import FakeProvider

PROJECT_PACKAGES = ["accounts", "calls", "config", "contacts", "incidents"]


def _every_domain_error() -> list[type[DomainError]]:
    for package in PROJECT_PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if ".migrations" not in info.name and info.name != "config.asgi":
                importlib.import_module(info.name)
    found, todo = [], list(DomainError.__subclasses__())
    while todo:
        error = todo.pop()
        found.append(error)
        todo.extend(error.__subclasses__())
    return [error for error in found if error.__module__.split(".")[0] in PROJECT_PACKAGES]


def test_every_domain_error_declares_its_own_status() -> None:
    errors = _every_domain_error()
    assert len(errors) >= 12  # the walk found the apps' errors, not nothing
    undeclared = [e.__qualname__ for e in errors if "status_code" not in vars(e)]
    assert undeclared == []
    assert all(400 <= e.status_code < 600 for e in errors)
    assert all(e.__module__.endswith(".errors") for e in errors), "errors live in errors.py"


def test_an_error_with_no_status_of_its_own_fails_loudly() -> None:
    class Unmapped(DomainError):
        code = "unmapped"

    response = api_exception_handler(Unmapped("Nobody said which status."), {})
    assert response is not None and response.status_code == 500


def _live_call() -> Any:
    return CallFactory.create(state=CallState.ESTABLISHED)


def _dashboard(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_provider_outage_is_a_503_in_the_api_and_the_dashboard(
    operator: User, provider: FakeProvider
) -> None:
    call = _live_call()
    provider.responses = [httpx.Response(503), httpx.Response(503)]
    api = token_client(operator).post(f"/api/calls/{call.pk}/hangup/")
    page = _dashboard(operator).post(
        f"/incidents/{call.incident_id}/calls/{call.pk}/hang-up/", HTTP_ACCEPT="application/json"
    )
    assert api.status_code == page.status_code == 503
    assert api.json()["code"] == page.json()["code"] == "provider_failed"
    assert set(api.json()) == set(page.json()) == {"code", "message"}


@pytest.mark.django_db
def test_a_form_error_is_a_400_in_the_api_and_the_dashboard(
    operator: User, provider: FakeProvider
) -> None:
    call = _live_call()
    api = token_client(operator).post(f"/api/calls/{call.pk}/play/", {"prompt": 999}, format="json")
    page = _dashboard(operator).post(
        f"/incidents/{call.incident_id}/calls/{call.pk}/play/",
        {"prompt": "999"},
        HTTP_ACCEPT="application/json",
    )
    assert api.status_code == page.status_code == 400
    assert api.json()["code"] == page.json()["code"] == "invalid"
    assert page.json()["message"]
    assert provider.requests == []


@pytest.mark.django_db
def test_a_conflict_is_a_409_in_the_api_and_the_dashboard(
    operator: User, provider: FakeProvider
) -> None:
    call = CallFactory.create(state=CallState.TERMINATED)
    prompt = AudioPromptFactory.create()
    api = token_client(operator).post(
        f"/api/calls/{call.pk}/play/", {"prompt": prompt.pk}, format="json"
    )
    page = _dashboard(operator).post(
        f"/incidents/{call.incident_id}/calls/{call.pk}/play/",
        {"prompt": str(prompt.pk)},
        HTTP_ACCEPT="application/json",
    )
    assert api.status_code == page.status_code == 409
    assert api.json() == page.json()
    assert page.json()["code"] == "call_not_live"


@pytest.mark.django_db
def test_an_empty_invite_is_refused_alike_by_the_api_and_the_dashboard(
    operator: User, provider: FakeProvider
) -> None:
    call = _live_call()
    api = token_client(operator).post(f"/api/calls/{call.pk}/participants/", {}, format="json")
    page = _dashboard(operator).post(
        f"/incidents/{call.incident_id}/calls/{call.pk}/invite/", {}, HTTP_ACCEPT="application/json"
    )
    assert api.status_code == page.status_code == 400
    assert api.json() == page.json()
    assert page.json()["code"] == "nothing_to_call"
    assert provider.requests == []
