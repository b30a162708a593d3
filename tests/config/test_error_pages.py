"""Error pages in the site's layout, a favicon, and a quiet log for expected refusals."""

import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.views.defaults import server_error


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_missing_page_is_friendly_and_in_the_layout(viewer: User) -> None:
    page = client_for(viewer).get("/incidents/999999/")
    assert page.status_code == 404
    body = page.content.decode()
    assert "There is nothing here" in body
    assert 'class="topbar"' in body and "Sign out viewer" in body


@pytest.mark.django_db
def test_a_refused_page_is_friendly_and_logs_one_line_without_a_traceback(
    viewer: User, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        page = client_for(viewer).get("/incidents/declare/")
    assert page.status_code == 403
    assert "You may not do that" in page.content.decode()
    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelno, r.getMessage()) for r in refusals] == [
        (logging.WARNING, "Forbidden (Permission denied): /incidents/declare/")
    ]
    assert refusals[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_server_error_page_renders_with_no_request_context() -> None:
    # Django's own handler renders 500.html with an empty context; the layout must cope.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body and 'class="topbar"' in body


@pytest.mark.django_db
def test_a_favicon_is_linked_and_favicon_ico_leads_to_it(viewer: User) -> None:
    page = client_for(viewer).get("/")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in (
        page.content.decode()
    )
    anonymous = Client().get("/favicon.ico")
    assert anonymous.status_code == 301 and anonymous["Location"] == "/static/favicon.svg"
