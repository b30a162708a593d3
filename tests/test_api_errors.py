"""One error shape for every API error, and how clients authenticate."""

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from incidents.models import IncidentStatus
from tests.conftest import token_client
from tests.factories import IncidentFactory
from tests.provider_fake import FakeProvider


@pytest.mark.django_db
def test_every_error_has_the_same_shape(
    viewer: User, operator: User, provider: FakeProvider, settings: Any
) -> None:
    settings.DECLARE_RATE = "1/min"
    resolved = IncidentFactory.create(status=IncidentStatus.RESOLVED, closed_at="2026-01-01T00:00Z")
    as_operator = token_client(operator)
    declare = {"title": "Fire", "targets": ["+14255550101"]}
    as_operator.post("/api/incidents/", declare, format="json")  # uses up the allowance

    errors = {
        401: token_client(None).get("/api/incidents/"),
        403: token_client(viewer).post("/api/incidents/", declare, format="json"),
        404: as_operator.get("/api/incidents/999999/"),
        400: as_operator.get("/api/incidents/", {"severity": "apocalyptic"}),
        409: as_operator.post(f"/api/incidents/{resolved.pk}/resolve/"),
        429: as_operator.post("/api/incidents/", declare, format="json"),
    }
    for status, response in errors.items():
        body = response.json()
        assert response.status_code == status, body
        assert set(body) == (
            {"code", "message", "errors"} if status == 400 else {"code", "message"}
        )
        assert isinstance(body["code"], str) and body["code"]
        assert isinstance(body["message"], str) and body["message"]
    assert [errors[s].json()["code"] for s in (401, 403, 404, 400, 409, 429)] == [
        "not_authenticated",
        "permission_denied",
        "not_found",
        "invalid",
        "invalid_transition",
        "throttled",
    ]
    assert errors[400].json()["errors"] == {"severity": ['"apocalyptic" is not a valid choice.']}
    assert int(errors[429]["Retry-After"]) > 0


@pytest.mark.django_db
def test_a_wrong_token_is_a_401(viewer: User) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/incidents/")
    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "message": "Invalid token."}


@pytest.mark.django_db
def test_a_token_alone_is_enough_despite_the_login_required_middleware(viewer: User) -> None:
    client = token_client(viewer)
    response = client.get("/api/incidents/")
    assert response.status_code == 200
    assert "sessionid" not in client.cookies
    # The dashboard, by contrast, still sends a stranger to the login page.
    assert Client().get("/").status_code == 302


@pytest.mark.django_db
def test_anonymous_api_callers_get_401_not_a_login_redirect() -> None:
    response = Client().get("/api/incidents/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_a_signed_in_browser_uses_the_session_with_csrf(operator: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    assert browser.get("/api/incidents/").status_code == 200
    refused = browser.post("/api/incidents/", {"title": "X"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["message"]


@pytest.mark.django_db
def test_drf_create_token_makes_a_working_token(viewer: User) -> None:
    out = StringIO()
    call_command("drf_create_token", viewer.username, stdout=out)
    key = out.getvalue().split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/incidents/").status_code == 200
