"""Every HTTP route of the URL inventory (tests/url_inventory.py) as a URL to send bodies to,
its parameters filled with ids of things that exist, so requests reach the code past the
lookup as often as they can."""

from dataclasses import dataclass

from calls.models import Call
from tests.factories import (
    CalloutFactory,
    RecipientFactory,
    one_of_everything,
)
from tests.url_inventory import Route, emulator_routes, http_routes

# A DRF route's `pk` names the object of its basename ("api:contact-detail" -> contact).
_PK_OF = {
    "contact": "contact",
    "group": "group",
    "incident": "incident",
    "incident-callout": "incident",
    "incident-escalation": "incident",
    "incident-report": "incident",
    "call": "call",
    "prompt": "prompt",
    "webhook": "webhook",
}
# Routes whose view reads the raw body itself, whatever its Content-Type says.
RAW_BODY_ROUTES = {"calls:callback", "api:integration-alerts"}
# The admin site: Django's own forms, tried by the dashboard tests with form data only.
ADMIN_PREFIX = "admin/"


@dataclass(frozen=True)
class Target:
    route: Route
    url: str
    method: str

    @property
    def is_api(self) -> bool:
        return (
            self.route.interface == "emulator"
            or self.url.startswith("/api/")
            or (self.route.key in RAW_BODY_ROUTES)
        )

    @property
    def reads_raw_body(self) -> bool:
        return self.route.interface == "emulator" or self.route.key in RAW_BODY_ROUTES


def make_world() -> dict[str, object]:
    """Ids of one of everything, by the names URL parameters give them."""
    ids = one_of_everything()
    world: dict[str, object] = dict(ids)
    call = Call.objects.get(pk=ids["call"])
    callout = CalloutFactory.create(incident_id=world["incident"])
    world["recipient"] = RecipientFactory.create(callout=callout).pk
    world["secret"] = call.callback_secret
    return world


def _value(route: Route, param: str, world: dict[str, object]) -> object:
    if param == "pk":
        basename = (route.name or "").removeprefix("api:").rsplit("-", 1)[0]
        return world.get(_PK_OF.get(basename, "incident"), 1)
    by_name = {
        "incident_id": world.get("incident", 1),
        "call_id": world.get("call", 1),
        "participant_id": world.get("participant", 1),
        "recipient_id": world.get("recipient", 1),
        "prompt_id": world.get("prompt", 1),
        "reminder_id": 1,
        "secret": world.get("secret", 1),
        "token": "no-such-token",
        "name": "ring",
        "table": "people",
        "fmt": "json",
        "path": "no/such/path",
    }
    return by_name.get(param, 1)


def targets(world: dict[str, object], *, emulator: bool = False) -> list[Target]:
    """Every (URL, method) of the Django routes (or the emulator's) but the admin site's."""
    found = []
    routes = emulator_routes() if emulator else http_routes()
    for route in routes:
        if route.pattern.startswith(ADMIN_PREFIX):
            continue
        url = route.url(**{p: _value(route, p, world) for p in route.params})
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append(Target(route, url, method))
    return found
