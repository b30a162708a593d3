"""One map of action → permission (accounts.roles.ACTION_PERMISSIONS), used by both interfaces.

Every route of either interface that does an action (a dashboard view guarded by
accounts.permissions.requires, an API viewset action its `action_permissions` maps) is found in
the URL configuration; a user who holds exactly one action's permissions (and the view's) may
ask for exactly the routes the map grants them. What each role gets is the matrix's
(test_http_matrix.py).
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from accounts.roles import ACTION_PERMISSIONS, Action
from tests.conftest import token_client
from tests.factories import UserFactory
from tests.provider_fake import FakeProvider
from tests.security.actions import action_routes, body_for
from tests.security.matrix import path_for
from tests.security.requests import ask, is_api
from tests.security.world import World

ACTION_ROUTES = action_routes()


def test_every_action_is_in_the_map_and_done_by_both_interfaces() -> None:
    assert set(ACTION_PERMISSIONS) == set(Action)
    for action in Action:
        interfaces = {"api" if is_api(route) else "dashboard" for _, route in ACTION_ROUTES[action]}
        assert interfaces == {"api", "dashboard"}, action


def _user_with(*actions: Action) -> User:
    user: User = UserFactory.create(username=f"only-{actions[-1]}")
    for action in actions:
        for perm in ACTION_PERMISSIONS[action]:
            app, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app, codename=codename)
            )
    return User.objects.get(pk=user.pk)  # a fresh permission cache


@pytest.mark.django_db
@pytest.mark.parametrize("action", [a for a in Action if a != Action.VIEW], ids=str)
def test_an_actions_own_permissions_are_enough_in_both_interfaces(
    action: Action, world: World, provider: FakeProvider
) -> None:
    user = _user_with(Action.VIEW, action)
    may = {a for a, perms in ACTION_PERMISSIONS.items() if user.has_perms(perms)}
    assert {Action.VIEW, action} <= may
    browser = Client()
    browser.force_login(user)
    script = token_client(user)
    wrong = []
    for asked, routes in ACTION_ROUTES.items():
        for method, route in routes:
            client = script if is_api(route) else browser
            path = path_for(route, world.objects)
            body = body_for(route, world.objects)
            status = ask(client, method, path, body, api=is_api(route)).response.status_code
            allowed = status not in (401, 403, 404, 405) and status < 500
            if allowed != (asked in may):
                wrong.append(f"{method} {path} ({asked}): {status}")
    assert not wrong, "\n".join(wrong)
