"""Every route that does an action (accounts.roles.Action), read from the URL configuration:
a dashboard view guarded by accounts.permissions.requires, or an API viewset action its
`action_permissions` maps. With a valid body for those that take one."""

from collections import defaultdict
from typing import Any

from accounts.roles import Action
from tests.security.requests import is_api
from tests.url_inventory import Route, http_routes

# Valid bodies by route, their "{name}" strings filled from tests.security.world's objects.
BODIES: dict[str, dict[str, Any]] = {
    "declare": {"title": "Fire", "severity": "major", "mode": "bridge", "numbers": "+14255550101"},
    "call_invite": {"numbers": "+14255550109"},
    "call_play": {"prompt": "{prompt}"},
    "api:incident-list": {"title": "Fire", "targets": ["+14255550101"]},
    "api:call-invite": {"targets": ["+14255550109"]},
    "api:call-play": {"prompt": "{prompt}"},
}


def action_routes() -> dict[Action, list[tuple[str, Route]]]:
    """Each action's (method, route) pairs, dashboard and API, read from the routes' views."""
    found: dict[Action, list[tuple[str, Route]]] = defaultdict(list)
    for route in http_routes():
        if is_api(route):
            mapped = getattr(route.callback.cls, "action_permissions", {})  # type: ignore[attr-defined]
            for method, name in getattr(route.callback, "actions", {}).items():
                if name in mapped:
                    found[mapped[name]].append((method.upper(), route))
        elif isinstance(action := getattr(route.callback, "action", None), Action):
            found[action].append(("POST" if "POST" in route.methods else "GET", route))
    return found


def _filled(value: Any, objects: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, dict):
        return {k: _filled(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, objects) for v in value]
    return value


def body_for(route: Route, objects: dict[str, Any]) -> dict[str, Any] | None:
    body = BODIES.get(route.key)
    return None if body is None else _filled(body, objects)
