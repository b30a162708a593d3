"""How the matrix asks: each role's credentials, one request per method, and what came back.

An outcome is the status, except that a redirect to a sign-in page is LOGIN (the dashboard's)
or ADMIN_LOGIN (the admin site's).
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.views import APIView

from tests.security.world import World
from tests.url_inventory import Route

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
Outcome = int | str


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    response: Any  # the test client's response, with .json()


def is_api(route: Route) -> bool:
    cls = getattr(route.callback, "cls", None)
    return isinstance(cls, type) and issubclass(cls, APIView)


def client_for(route: Route, role: str, world: World) -> Client:
    """A script with a token for the API; a signed-in browser for every other page."""
    if is_api(route):
        api = APIClient()
        if role in world.tokens:
            api.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[role]}")
        return api
    browser = Client()
    user = world.users[role]
    if user is not None:
        browser.force_login(user)
    return browser


def outcome_of(response: HttpResponseBase) -> Outcome:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(resolve_url(settings.LOGIN_URL)):
            return LOGIN
    return response.status_code


def ask(
    client: Client, method: str, path: str, body: dict[str, Any] | None = None, *, api: bool = False
) -> Answer:
    """One request (a body as JSON to the API, as a form elsewhere), undone afterwards: it runs
    in a savepoint that is rolled back."""
    with transaction.atomic():
        if body is None:
            response = client.generic(method, path)
        elif api:
            response = getattr(client, method.lower())(path, body, format="json")
        else:
            response = client.post(path, body)
        transaction.set_rollback(True)
    return Answer(outcome_of(response), response)
