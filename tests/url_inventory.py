"""Every route the app serves, read from its routing: Django's URL configuration, the embedded
emulator's routes and the WebSocket routes.

    for route in all_routes():
        route.interface, route.key, route.pattern, route.methods, route.url(incident_id=3)

A route is named by `key`: its namespaced URL name (`api:incident-detail`), or, when it has
none, its pattern. `methods` are those its view has a handler for (config.view_methods), the
emulator's those its Starlette routes list; a WebSocket route has none (it takes a handshake).
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize
from starlette.routing import Route as StarletteRoute

from acs_emulator.app import EmulatorConfig, build_app
from calls.provider import emulator_access_key
from config.view_methods import allowed_methods
from incidents.routing import websocket_urlpatterns

Interface = Literal["http", "emulator", "websocket"]


@dataclass(frozen=True)
class Route:
    interface: Interface
    pattern: str  # as written in the routing, prefixes joined: "api/^incidents/(?P<pk>[^/.]+)/$"
    name: str | None  # namespaced: "api:incident-detail"; None for unnamed routes
    callback: Callable[..., Any]
    methods: frozenset[str]
    params: tuple[str, ...]  # the URL's keyword arguments, in order
    _format: str  # "/api/incidents/%(pk)s/"

    @property
    def key(self) -> str:
        return self.name or self.pattern

    def url(self, **kwargs: object) -> str:
        """The path with `kwargs` filled in (each of `params` must be given)."""
        missing = [p for p in self.params if p not in kwargs]
        if missing:
            raise KeyError(f"{self.key} needs {', '.join(missing)}")
        return self._format % {p: kwargs[p] for p in self.params}


def _django_routes(
    patterns: list[URLPattern | URLResolver], prefix: str, regex: str, namespace: str
) -> Iterator[tuple[str, str, str | None, URLPattern]]:
    for entry in patterns:
        part = entry.pattern.regex.pattern.removeprefix("^")
        joined = regex + part
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            inner_prefix = prefix + str(entry.pattern)
            yield from _django_routes(entry.url_patterns, inner_prefix, joined, inner)
        else:
            name = f"{namespace}{entry.name}" if entry.name else None
            yield prefix + str(entry.pattern), joined, name, entry


def _from_regex(regex: str) -> tuple[str, tuple[str, ...]]:
    # Django's own reverse() reads patterns this way; the first form is the one it prefers.
    fmt, params = normalize(regex)[0]
    return "/" + fmt, tuple(params)


def http_routes() -> list[Route]:
    """Every Django URL pattern, in resolving order (the admin site and the API included)."""
    routes = []
    for pattern, regex, name, entry in _django_routes(get_resolver().url_patterns, "", "", ""):
        fmt, params = _from_regex(regex)
        methods = allowed_methods(entry.callback)
        routes.append(Route("http", pattern, name, entry.callback, methods, params, fmt))
    return routes


def emulator_routes() -> list[Route]:
    """The embedded emulator's routes under ACS_EMULATOR_PATH, one per path: a path served by
    several Starlette routes (one per method) is one route answering all their methods."""
    emulator = build_app(EmulatorConfig(access_key=emulator_access_key(), time_scale=1.0))
    entries = [entry for entry in emulator.routes if isinstance(entry, StarletteRoute)]
    assert len(entries) == len(emulator.routes), "the emulator serves a route that is not a Route"
    merged: dict[str, Route] = {}
    for entry in entries:
        path = settings.ACS_EMULATOR_PATH + entry.path
        shape = re.sub(r"\{[^}]+\}", "{}", path)
        if shape in merged:
            continue
        # Every route a path of this shape reaches answers for it: a later, more general
        # route ("{call_id}/{target}") serves the methods an earlier one does not.
        sample = re.sub(r"\{[^}]+\}", "x", entry.path)
        methods = frozenset().union(
            *(other.methods or () for other in entries if other.path_regex.fullmatch(sample))
        )
        fmt = re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"%(\1)s", path)
        params = tuple(re.findall(r"\{([^}:]+)", path))
        merged[shape] = Route("emulator", path, None, entry.endpoint, methods, params, fmt)
    return list(merged.values())


def websocket_routes() -> list[Route]:
    """incidents.routing's patterns, as config.asgi's URLRouter serves them."""
    routes = []
    for entry in websocket_urlpatterns:
        pattern = str(entry.pattern)
        fmt, params = _from_regex(entry.pattern.regex.pattern.removeprefix("^"))
        routes.append(Route("websocket", pattern, None, entry.callback, frozenset(), params, fmt))
    return routes


def all_routes() -> list[Route]:
    """Every route of every interface; the emulator's only when it is mounted."""
    emulator = emulator_routes() if settings.ACS_EMULATOR_ENABLED else []
    return [*http_routes(), *emulator, *websocket_routes()]
