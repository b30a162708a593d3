from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# Pages anyone may open: signing in, the admin site's own sign-in page, the probes, the
# icon browsers fetch on the sign-in page too, and the metrics (which check a token or the
# client's network instead: tests/ops/test_metrics.py).
PUBLIC = {"/accounts/login/", "/admin/login/", "/healthz", "/readyz", "/metrics", "/favicon.ico"}
API_PUBLIC = {"/api/schema/", "/api/docs/", "/api/redoc/"}


def _static_paths(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    """Every URL in the project that takes no arguments."""
    paths: list[str] = []
    for pattern in patterns:
        route = str(pattern.pattern)
        if "<" in route or "(?P" in route or route.startswith("^"):
            continue
        if isinstance(pattern, URLResolver):
            paths += _static_paths(pattern.url_patterns, prefix + route)
        else:
            paths.append("/" + prefix + route)
    return paths


@pytest.mark.django_db
def test_every_page_but_sign_in_requires_a_signed_in_user() -> None:
    paths = [p for p in _static_paths(get_resolver().url_patterns) if p not in PUBLIC]
    assert "/" in paths and "/accounts/password_change/" in paths
    assert "/accounts/password_reset/" not in paths  # no e-mail is configured
    client = Client()
    for path in paths:
        response = client.get(path)
        if path.startswith("/api/"):
            # The API authenticates by itself and answers 401 instead of redirecting; its
            # description is public (tests/test_api_permissions.py covers every endpoint).
            expected = 200 if path in API_PUBLIC else 401
            assert response.status_code == expected, path
            continue
        assert response.status_code == 302, path
        assert "login" in response["Location"], path


@pytest.mark.django_db
def test_login_page_is_public_and_sign_in_works(viewer: User) -> None:
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    response = client.post(
        "/accounts/login/",
        {"username": viewer.get_username(), "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_wrong_password_shows_a_message(viewer: User) -> None:
    response = Client().post(
        "/accounts/login/", {"username": viewer.get_username(), "password": "nope"}
    )
    assert response.status_code == 200
    assert b"didn't match" in response.content


@pytest.mark.django_db
def test_sign_out_ends_the_session(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_health_check_is_public_and_cheap(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")
