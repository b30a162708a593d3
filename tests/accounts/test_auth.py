from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

# Which pages need a signed-in user, for every route and method, is the security matrix's
# (tests/security/test_http_matrix.py).


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
