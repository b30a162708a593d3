"""Every API endpoint for every role: anonymous callers get 401, roles without the permission 403.

One row per endpoint; the columns are anonymous, viewer, operator, admin.
"""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import token_client
from tests.factories import DEFAULT_PROMPT_WAV, one_of_everything
from tests.provider_fake import FakeProvider

READ = (401, 200, 200, 200)
ACT = (401, 403, 200, 200)
CONFIGURE = (401, 403, 403, 200)
PUBLIC = (200, 200, 200, 200)

# (method, path, body, expected statuses for anonymous, viewer, operator, admin)
TABLE: list[tuple[str, str, Any, tuple[int, int, int, int]]] = [
    ("GET", "/api/", None, READ),
    ("GET", "/api/schema/", None, PUBLIC),
    ("GET", "/api/docs/", None, PUBLIC),
    ("GET", "/api/redoc/", None, PUBLIC),
    ("GET", "/api/contacts/", None, READ),
    ("GET", "/api/contacts/{contact}/", None, READ),
    (
        "POST",
        "/api/contacts/",
        {"name": "New", "phone_number": "+14255550199"},
        (401, 403, 403, 201),
    ),
    (
        "PUT",
        "/api/contacts/{contact}/",
        {"name": "Renamed", "phone_number": "+14255550198"},
        CONFIGURE,
    ),
    ("PATCH", "/api/contacts/{contact}/", {"name": "Renamed"}, CONFIGURE),
    ("DELETE", "/api/contacts/{contact}/", None, (401, 403, 403, 204)),
    ("GET", "/api/groups/", None, READ),
    ("GET", "/api/groups/{group}/", None, READ),
    ("POST", "/api/groups/", {"name": "New group"}, (401, 403, 403, 201)),
    ("PUT", "/api/groups/{group}/", {"name": "Renamed"}, CONFIGURE),
    ("PATCH", "/api/groups/{group}/", {"name": "Renamed"}, CONFIGURE),
    ("DELETE", "/api/groups/{group}/", None, (401, 403, 403, 204)),
    ("GET", "/api/incidents/", None, READ),
    ("GET", "/api/incidents/{incident}/", None, READ),
    ("GET", "/api/incidents/{incident}/timeline/", None, READ),
    (
        "POST",
        "/api/incidents/",
        {"title": "Fire", "targets": ["+14255550101"]},
        (401, 403, 201, 201),
    ),
    ("POST", "/api/incidents/{incident}/resolve/", None, ACT),
    ("POST", "/api/incidents/{incident}/cancel/", None, ACT),
    ("GET", "/api/calls/{call}/", None, READ),
    ("POST", "/api/calls/{call}/participants/", {"targets": ["+14255550109"]}, ACT),
    ("DELETE", "/api/calls/{call}/participants/{participant}/", None, ACT),
    ("POST", "/api/calls/{call}/play/", {"prompt": "{prompt}"}, ACT),
    ("POST", "/api/calls/{call}/cancel-media/", None, ACT),
    ("POST", "/api/calls/{call}/hangup/", None, ACT),
    ("POST", "/api/calls/{failed_call}/retry/", None, ACT),
    ("GET", "/api/prompts/", None, READ),
    ("GET", "/api/prompts/{prompt}/", None, READ),
    ("POST", "/api/prompts/", "upload", (401, 403, 403, 201)),
    ("GET", "/api/webhooks/", None, CONFIGURE),
    ("GET", "/api/webhooks/{webhook}/", None, CONFIGURE),
    ("GET", "/api/webhooks/{webhook}/deliveries/", None, CONFIGURE),
    (
        "POST",
        "/api/webhooks/",
        {"url": "https://hooks.example.com/in", "events": ["incident.declared"]},
        (401, 403, 403, 201),
    ),
    (
        "PUT",
        "/api/webhooks/{webhook}/",
        {"url": "https://hooks.example.com/moved", "events": ["incident.resolved"]},
        CONFIGURE,
    ),
    ("PATCH", "/api/webhooks/{webhook}/", {"is_active": False}, CONFIGURE),
    ("DELETE", "/api/webhooks/{webhook}/", None, (401, 403, 403, 204)),
]
ROLES = ["anonymous", "viewer", "operator", "admin_user"]


def _body(body: Any, world: dict[str, int]) -> tuple[Any, str | None]:
    if body == "upload":
        wav = SimpleUploadedFile("p.wav", DEFAULT_PROMPT_WAV.read_bytes(), "audio/wav")
        return {"name": "Uploaded", "audio": wav}, "multipart"
    if body == {"prompt": "{prompt}"}:
        return {"prompt": world["prompt"]}, "json"
    return body, "json" if body is not None else None


@pytest.mark.django_db
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), TABLE, ids=[f"{m} {p}" for m, p, _, _ in TABLE]
)
def test_endpoint_answers_each_role(
    request: pytest.FixtureRequest,
    provider: FakeProvider,
    method: str,
    path: str,
    body: Any,
    expected: tuple[int, int, int, int],
    role_index: int,
) -> None:
    role = ROLES[role_index]
    user: User | None = None if role == "anonymous" else request.getfixturevalue(role)
    world = one_of_everything()
    data, fmt = _body(body, world)
    client = token_client(user)
    response = (
        client.generic(method, path.format(**world))
        if data is None
        else getattr(client, method.lower())(path.format(**world), data, format=fmt)
    )
    assert response.status_code == expected[role_index], getattr(response, "data", response)
    if response.status_code == 401:
        assert response["WWW-Authenticate"] == "Token"
