"""Every HTTP route × role × method answers as tests/security/matrix.py says.

The routes are read from the URL configuration (tests.url_inventory), so a new one fails here
until the table says what each role may do with it.
"""

import pytest

from config.view_methods import HTTP_METHODS
from tests.provider_fake import FakeProvider
from tests.security.matrix import (
    ADMIN_DECIDES,
    ANSWERED,
    EXPECTED,
    OK,
    SIGN_IN,
    expectation_for,
    expected_for,
    path_for,
)
from tests.security.requests import ADMIN_LOGIN, LOGIN, Answer, Outcome, ask, client_for, is_api
from tests.security.world import ROLES, World
from tests.url_inventory import Route, emulator_routes, http_routes, websocket_routes

ROUTES = {route.key: route for route in http_routes()}
REFUSALS = (401, 403, 404, 405, LOGIN, ADMIN_LOGIN)


def _matches(expected: Outcome, actual: Outcome) -> bool:
    failed = isinstance(actual, int) and actual >= 500
    if expected == OK:
        return actual not in REFUSALS and not failed
    if expected == ANSWERED:
        return actual not in REFUSALS
    if expected == SIGN_IN:
        return actual in (LOGIN, ADMIN_LOGIN)
    if expected == ADMIN_DECIDES:
        return actual not in (LOGIN, ADMIN_LOGIN, 401) and not failed
    return expected == actual


def _check_shape(route: Route, answer: Answer) -> str | None:
    response = answer.response
    if answer.outcome == 405 and not response.has_header("Allow"):
        return "405 without Allow"
    token_auth = is_api(route) and route.callback.cls.authentication_classes  # type: ignore[attr-defined]
    if answer.outcome == 401 and token_auth and response.get("WWW-Authenticate") != "Token":
        return "401 without WWW-Authenticate: Token"
    if is_api(route) and answer.outcome in (401, 403, 404, 405) and response.content:
        body = response.json()
        if set(body) != {"code", "message"}:
            return f"not the error shape: {body}"
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", list(ROUTES))
def test_route_answers_each_method_as_the_matrix_says(
    key: str, role: str, world: World, provider: FakeProvider
) -> None:
    route = ROUTES[key]
    expect = expected_for(route)
    client = client_for(route, role, world)
    path = path_for(route, world.objects)
    wrong = []
    for method in HTTP_METHODS:
        role_class = expect.for_method(method) if method in route.methods else None
        if method in route.methods and role_class is None:
            pytest.fail(f"{key}: {method} is served but EXPECTED has no class for it")
        expected = 405 if role_class is None else role_class[ROLES.index(role)]
        answer = ask(client, method, path)
        problem = _check_shape(route, answer)
        if not _matches(expected, answer.outcome) or problem:
            wrong.append(f"{method} {path}: {answer.outcome}, expected {expected} {problem or ''}")
    assert not wrong, f"as {role}:\n" + "\n".join(wrong)


def test_every_entry_of_the_table_names_a_route() -> None:
    keys = [route.key for route in (*http_routes(), *emulator_routes(), *websocket_routes())]
    stale = [
        entry
        for entry in EXPECTED
        if entry not in keys and not any(expectation_for(k) is EXPECTED[entry] for k in keys)
    ]
    assert not stale, f"entries for routes that no longer exist: {stale}"
