"""The security matrix's one table: what each route answers each role, by kind of method.

Every route the app serves (tests.url_inventory) must have an entry here, keyed by its URL name
(or its pattern when it has none; `*` matches anything, for the admin site's generated pages),
or tests/security/test_http_matrix.py fails naming it. An entry gives a role class (what
anonymous, viewer, operator and admin get) for the safe methods (GET, HEAD, OPTIONS) and for
the unsafe ones (POST, PUT, PATCH, DELETE) the route's view has handlers for, and says which
objects fill its URL. A method the view has no handler for is not listed: every role gets 405.
"""

import fnmatch
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.security.requests import ADMIN_LOGIN, LOGIN, Outcome
from tests.url_inventory import Route

# Let through: anything but a refusal (401, 403, 404, 405, a sign-in page) or a 5xx. Bodies
# are not sent, so an allowed write may well answer 400.
OK = "ok"
# Answered, whatever the answer (a probe's 503 included), but never refused.
ANSWERED = "answered"
# Inside the admin site, its own ModelAdmin permissions decide (a read-only model's change form
# is shown, and saving it is 403; tests/test_admin.py): never a sign-in page or a 5xx.
ADMIN_DECIDES = "admin-decides"
RoleClass = tuple[Outcome, Outcome, Outcome, Outcome]  # anonymous, viewer, operator, admin


def same(outcome: Outcome) -> RoleClass:
    return (outcome, outcome, outcome, outcome)


# The API: a token or nothing (401 with WWW-Authenticate: Token), then the role's permissions.
READ = (401, 200, 200, 200)
ACT = (401, 403, OK, OK)
CONFIGURE = (401, 403, 403, OK)
CONFIGURE_READ = (401, 403, 403, 200)
# The dashboard: anonymous is sent to sign in, then the same roles.
PAGE = (LOGIN, 200, 200, 200)
PAGE_ACT = (LOGIN, 403, OK, OK)
PAGE_CONFIGURE = (LOGIN, 403, 403, OK)
PAGE_CONFIGURE_READ = (LOGIN, 403, 403, 200)
SIGNED_IN = (LOGIN, OK, OK, OK)
# The admin site: staff only (the admin role). Anonymous is sent to a sign-in page (the site's,
# LoginRequiredMiddleware's, for a model's pages; the admin site's for its own), a signed-in
# role without staff to the admin site's.
SIGN_IN = "sign-in"
STAFF = (SIGN_IN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_DECIDES)
NOT_FOR_STAFF = (SIGN_IN, ADMIN_LOGIN, ADMIN_LOGIN, 404)  # pages that do not exist
# A WebSocket handshake: any signed-in role that may view incidents (every role) is accepted.
ACCEPTED = "accepted"
REFUSED = "refused"
WATCH = (REFUSED, ACCEPTED, ACCEPTED, ACCEPTED)
# Superusers only (the admin role is staff, not superuser).
SUPERUSER = (SIGN_IN, ADMIN_LOGIN, ADMIN_LOGIN, 403)


@dataclass(frozen=True)
class Expect:
    safe: RoleClass | None = None  # GET, HEAD, OPTIONS; a WebSocket's handshake
    unsafe: RoleClass | None = None  # POST, PUT, PATCH, DELETE
    args: dict[str, str] = field(default_factory=dict)  # URL parameter -> world object
    methods: dict[str, RoleClass] = field(default_factory=dict)  # a method unlike its kind

    def for_method(self, method: str) -> RoleClass | None:
        if method in self.methods:
            return self.methods[method]
        return self.safe if method in ("GET", "HEAD", "OPTIONS") else self.unsafe


# What a URL parameter is filled with when its entry does not say.
DEFAULT_ARGS = {
    "incident_id": "incident",
    "call_id": "call",
    "participant_id": "participant",
    "recipient_id": "recipient",
    "reminder_id": "reminder",
    "prompt_id": "prompt",
    "name": "spoken",
    "secret": "callback_secret",
    "token": "integration_token",
    "object_id": "any_id",
    "content_type_id": "any_id",
    "id": "any_id",
    "app_label": "app_label",
    "url": "admin_path",
    "path": "api_path",
    "table": "export_table",
    "fmt": "export_format",
    "call_leg_id": "provider_id",
    "raw_id": "provider_id",
    "action": "provider_verb",
    "target": "provider_verb",
}


def api(pk: str, safe: RoleClass = READ, unsafe: RoleClass | None = None, **more: str) -> Expect:
    return Expect(safe, unsafe, {"pk": pk, **more})


def call_page(unsafe: RoleClass = PAGE_ACT, call: str = "call", **more: str) -> Expect:
    return Expect(None, unsafe, {"incident_id": f"{call}_incident", "call_id": call, **more})


EXPECTED: dict[str, Expect] = {
    # Probes and the favicon: public by design (README, Operability); /metrics by network.
    "healthz": Expect(same(200)),
    "readyz": Expect(same(ANSWERED)),  # 503 while a dependency is down
    "metrics": Expect(same(200)),
    "favicon": Expect(same(301)),  # to the static file
    # Signing in and out.
    "login": Expect(same(OK), same(OK)),
    "logout": Expect(SIGNED_IN, same(LOGIN)),  # signed out, then sent to sign in again
    "password_change": Expect(SIGNED_IN, SIGNED_IN),
    "password_change_done": Expect(SIGNED_IN),
    # The admin site.
    "admin:login": Expect(same(OK), same(OK)),
    "admin:*": Expect(STAFF, STAFF),
    # Django's class-based views behind the admin site's functions, answering 405 themselves.
    "admin:logout": Expect((SIGN_IN, 302, 302, 405), (SIGN_IN, 302, 302, LOGIN)),
    "admin:password_change_done": Expect(STAFF, (SIGN_IN, ADMIN_LOGIN, ADMIN_LOGIN, 405)),
    "admin:jsi18n": Expect(STAFF, (SIGN_IN, ADMIN_LOGIN, ADMIN_LOGIN, 405)),
    "admin:view_on_site": Expect(NOT_FOR_STAFF, NOT_FOR_STAFF),
    "admin/(?P<url>.*)$": Expect(NOT_FOR_STAFF, NOT_FOR_STAFF),
    # An object that exists (the admin's own account), or the admin site redirects first.
    "admin:auth_user_*": Expect(
        SUPERUSER, SUPERUSER, {"object_id": "staff_user", "id": "staff_user"}
    ),
    "admin:authtoken_tokenproxy_*": Expect(SUPERUSER, SUPERUSER, {"object_id": "staff_user"}),
    "admin/*": Expect(STAFF, STAFF),
    # The API.
    "api:api-root": Expect(READ),
    "api:schema": Expect(same(200)),
    "api:docs": Expect(same(200)),
    "api:redoc": Expect(same(200)),
    # Anything else under /api/: a 404 in the API's shape, once signed in.
    "api/^(?P<path>[\\s\\S]*)$": Expect((401, 404, 404, 404), (401, 404, 404, 404)),
    "api:integration-alerts": Expect(same(200), same(OK)),
    "api:contact-list": Expect(READ, CONFIGURE),
    "api:contact-detail": api("contact", READ, CONFIGURE),
    "api:group-list": Expect(READ, CONFIGURE),
    "api:group-detail": api("group", READ, CONFIGURE),
    "api:incident-list": Expect(READ, ACT),
    "api:incident-detail": api("incident"),
    "api:incident-cancel": api("incident", READ, ACT),
    "api:incident-resolve": api("incident", READ, ACT),
    "api:incident-timeline": api("incident"),
    "api:incident-callout-callout": api("callout_incident"),
    "api:incident-callout-recipients": api("callout_incident"),
    "api:incident-callout-ring-again": api("callout_incident", READ, ACT),
    "api:incident-callout-stop": api("callout_incident", READ, ACT),
    "api:incident-escalation-escalate": api("escalating_incident", READ, ACT),
    "api:incident-report-report": api("incident"),
    "api:call-detail": api("call"),
    "api:call-cancel-media": api("call", READ, ACT),
    "api:call-hangup": api("call", READ, ACT),
    "api:call-invite": api("call", READ, ACT),
    "api:call-play": api("call", READ, ACT),
    "api:call-redial": api("failed_call", READ, ACT),
    "api:call-remove": api("call", READ, ACT),
    "api:call-retry": api("failed_call", READ, ACT),
    "api:call-ring-again": api("call", READ, ACT),
    "api:prompt-list": Expect(READ, CONFIGURE),
    "api:prompt-detail": api("prompt"),
    "api:integration-list": Expect(CONFIGURE_READ, CONFIGURE),
    "api:integration-detail": api("integration", CONFIGURE_READ, CONFIGURE),
    "api:webhook-list": Expect(CONFIGURE_READ, CONFIGURE),
    "api:webhook-detail": api("webhook", CONFIGURE_READ, CONFIGURE),
    "api:webhook-deliveries": api("webhook", CONFIGURE_READ),
    "api:escalation-policy-list": Expect(CONFIGURE_READ, CONFIGURE),
    "api:escalation-policy-detail": api("escalation_policy", CONFIGURE_READ, CONFIGURE),
    "api:reminder-list": Expect(CONFIGURE_READ, CONFIGURE),
    "api:reminder-detail": api("reminder", CONFIGURE_READ),
    "api:reminder-cancel": api("reminder", CONFIGURE_READ, CONFIGURE),
    # What the provider fetches and posts: its own credentials, no account.
    "calls:callback": Expect(same(200), same(401), {"call_id": "call"}),
    "calls:prompt_audio": Expect(same(200)),
    "calls:spoken_audio": Expect(same(200)),
    # The embedded emulator (every role alike): its ACS API wants the resource's signature.
    "/acs-emulator/calling/calls": Expect(None, same(401)),
    "/acs-emulator/calling/calls/{call_leg_id}/participants": Expect(None, same(401)),
    "/acs-emulator/calling/calls/{call_leg_id}/participants/{participant_id}": Expect(
        None, same(401)
    ),
    "/acs-emulator/calling/calls/{call_leg_id}/{action}": Expect(None, same(401)),
    "/acs-emulator/calls": Expect(None, same(401)),
    "/acs-emulator/calls/{call_leg_id}/participants": Expect(None, same(401)),
    "/acs-emulator/calls/{call_leg_id}/participants/{participant_id}": Expect(None, same(401)),
    "/acs-emulator/calls/{call_leg_id}/{action}": Expect(None, same(401)),
    "/acs-emulator/calling/.well-known/acsopenidconfiguration": Expect(same(200)),
    "/acs-emulator/calling/keys": Expect(same(200)),
    "/acs-emulator/calling/callConnections": Expect(None, same(401)),
    "/acs-emulator/calling/callConnections/{call_id}": Expect(same(401), same(401)),
    "/acs-emulator/calling/callConnections/{call_id}/participants": Expect(same(401), same(401)),
    "/acs-emulator/calling/callConnections/{call_id}/participants/{raw_id}": Expect(same(401)),
    "/acs-emulator/calling/callConnections/{call_id}/{target}": Expect(None, same(401)),
    # Its control API and page: open to scripts (and to this site's pages).
    "/acs-emulator/emulator/": Expect(same(200)),
    "/acs-emulator/emulator/calls": Expect(same(200)),
    "/acs-emulator/emulator/calls/{call_leg_id}": Expect(same(404)),
    "/acs-emulator/emulator/behaviours": Expect(same(200)),
    "/acs-emulator/emulator/behaviours/{target}": Expect(None, same(400)),  # not a number
    "/acs-emulator/emulator/faults": Expect(same(200), same(400), methods={"DELETE": same(204)}),
    "/acs-emulator/emulator/reset": Expect(None, same(204)),
    "/acs-emulator/emulator/calls/{call_leg_id}/participants/{participant_id}/tones": Expect(
        None, same(404)
    ),
    "/acs-emulator/emulator/calls/{call_leg_id}/participants/{participant_id}/hangup": Expect(
        None, same(404)
    ),
    # The dashboard's live updates (WebSocket handshakes).
    "ws/incidents/": Expect(WATCH),
    "ws/incidents/<int:incident_id>/": Expect(WATCH),
    # The dashboard.
    "home": Expect(PAGE),
    "declare": Expect(PAGE_ACT, PAGE_ACT),
    "incident_detail": Expect(PAGE),
    "incident_resolve": Expect(None, PAGE_ACT),
    "incident_cancel": Expect(None, PAGE_ACT),
    "callout_stop": Expect(None, PAGE_ACT, {"incident_id": "callout_incident"}),
    "incident_escalate": Expect(None, PAGE_ACT, {"incident_id": "escalating_incident"}),
    "recipient_ring_again": Expect(None, PAGE_ACT, {"incident_id": "callout_incident"}),
    "call_invite": call_page(),
    "call_remove": call_page(),
    "call_play": call_page(),
    "call_stop_audio": call_page(),
    "call_hang_up": call_page(),
    "call_retry": call_page(call="failed_call"),
    "call_redial": call_page(call="failed_call"),
    "call_ring_again": call_page(),
    "reminder_list": Expect(PAGE_CONFIGURE_READ),
    "reminder_new": Expect(PAGE_CONFIGURE_READ),
    "reminder_preview": Expect(None, PAGE_CONFIGURE),
    "reminder_create": Expect(None, PAGE_CONFIGURE),
    "reminder_detail": Expect(PAGE_CONFIGURE_READ),
    "reminder_export": Expect(PAGE_CONFIGURE_READ),
    "reminder_cancel": Expect(None, PAGE_CONFIGURE),
    "reports": Expect(PAGE),
    "incident_report": Expect(PAGE),
    "incident_export": Expect(PAGE),
}


def expectation_for(key: str) -> Expect | None:
    """The entry for `key`: its own, else the longest pattern that matches it."""
    if key in EXPECTED:
        return EXPECTED[key]
    matching = [p for p in EXPECTED if "*" in p and fnmatch.fnmatchcase(key, p)]
    return EXPECTED[max(matching, key=len)] if matching else None


def expected_for(route: Route) -> Expect:
    """`route`'s entry; a route without one fails the test, saying where to add it."""
    expect = expectation_for(route.key)
    if expect is None:
        pytest.fail(
            f"{route.key} ({route.interface} {route.pattern}, {sorted(route.methods)}) has no "
            "expectation: add an entry to EXPECTED in tests/security/matrix.py saying what "
            "each role gets"
        )
    return expect


def path_for(route: Route, objects: dict[str, Any]) -> str:
    """`route`'s path, its parameters filled from `objects` (tests.security.world) as its
    entry (or DEFAULT_ARGS) says."""
    names = {**DEFAULT_ARGS, **expected_for(route).args}
    return route.url(**{p: objects[names.get(p, p)] for p in route.params})
