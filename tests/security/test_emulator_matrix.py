"""Every route of the embedded emulator × role × method, as config.asgi mounts it.

The emulator knows no accounts: every role gets the same answer (its ACS API wants the
resource's HMAC signature, its control API is open to scripts and this site's pages only).
"""

from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from config.emulator_mount import with_embedded_emulator
from config.view_methods import HTTP_METHODS
from tests.security.matrix import expected_for, path_for
from tests.security.world import ROLES, World
from tests.url_inventory import emulator_routes

ROUTES = {route.key: route for route in emulator_routes()}


async def _not_django(scope: dict[str, Any], receive: Any, send: Any) -> None:
    raise AssertionError(f"{scope['path']} reached Django, not the emulator")


def _cookies(world: World, role: str) -> dict[str, str]:
    user = world.users[role]
    if user is None:
        return {}
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


async def _answers(path: str, methods: list[str], cookies: list[dict[str, str]]) -> list[int]:
    """Each method's status for each role's cookies, in that order."""
    transport = httpx.ASGITransport(app=with_embedded_emulator(_not_django))
    statuses = []
    for jar in cookies:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=jar
        ) as client:
            statuses += [(await client.request(method, path)).status_code for method in methods]
    return statuses


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(ROUTES))
def test_emulator_route_answers_every_role_alike(key: str, world: World) -> None:
    route = ROUTES[key]
    expect = expected_for(route)
    path = path_for(route, world.objects)
    expected: list[int | str] = []
    for role in ROLES:
        for method in HTTP_METHODS:
            role_class = expect.for_method(method) if method in route.methods else None
            expected.append(405 if role_class is None else role_class[ROLES.index(role)])
    cookies = [_cookies(world, role) for role in ROLES]
    actual = async_to_sync(_answers)(path, list(HTTP_METHODS), cookies)
    wrong = [
        f"{role} {method} {path}: {got}, not {want}"
        for (role, method), got, want in zip(
            [(r, m) for r in ROLES for m in HTTP_METHODS], actual, expected, strict=True
        )
        if got != want
    ]
    assert not wrong, "\n".join(wrong)
