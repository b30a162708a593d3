"""Bad form input at every dashboard page and action (every non-API route of the URL
inventory, the admin site aside): missing fields, wrong types, unknown ids, huge values,
non-UTF-8 bytes and NUL characters get a message in the page or a 4xx, never a 5xx."""

from urllib.parse import quote_from_bytes

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.hostile.routes import make_world, targets
from tests.provider_fake import FakeProvider

HUGE = str(10**40)
# Every field name a dashboard form has, each with something wrong in it.
FIELDS = [
    "title", "description", "severity", "mode", "groups", "contacts", "numbers", "targets",
    "prompt", "message", "voice", "policy", "quorum", "escalation_policy", "name", "time_zone",
    "starts_at", "lead_hours", "quiet_start", "quiet_end", "repeat", "is_drill", "status",
    "page", "participant", "identifier", "q",
]  # fmt: skip


def _form(value: str) -> bytes:
    return "&".join(f"{name}={value}" for name in FIELDS).encode()


FORMS: list[tuple[str, bytes]] = [
    ("missing", b""),
    ("unknown_ids", _form(HUGE)),
    ("negative", _form("-1")),
    ("words_for_numbers", _form("abc")),
    ("huge_text", _form("x" * 200_000)),
    ("nul", _form("a%00b")),
    ("not_utf8", _form("%ff%fe")),
    ("raw_not_utf8", b"title=\xff\xfe&numbers=\xc3\x28&quorum=\xff"),
    ("repeated", b"&".join([b"mode=broadcast&mode=bridge&quorum=1&quorum=x"] * 50)),
    ("inf", _form("inf")),
    ("far_dates", _form("99999-12-31T25:61")),
]
QUERIES = [
    f"?page={HUGE}&status=zzz&severity=%ff&q=%00&kind=x&declared_after=garbage",
    "?page=-1&page_size=" + HUGE,
    "?" + quote_from_bytes(b"\xff\xfe") + "=" + quote_from_bytes(b"\xc3\x28"),
]


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


def _dashboard_targets(world: dict[str, object]) -> list[tuple[str, str]]:
    return [(t.method, t.url) for t in targets(world) if not t.is_api]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "body"), FORMS, ids=[n for n, _ in FORMS])
def test_no_dashboard_action_answers_bad_form_input_with_a_server_error(
    admin_client: Client, provider: FakeProvider, name: str, body: bytes
) -> None:
    world = make_world()
    failures = []
    for method, url in _dashboard_targets(world):
        if method != "POST":
            continue
        response = admin_client.generic(
            "POST", url, body, content_type="application/x-www-form-urlencoded"
        )
        if response.status_code >= 500:
            failures.append(f"POST {url}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_no_dashboard_page_answers_a_bad_address_with_a_server_error(
    admin_client: Client, provider: FakeProvider
) -> None:
    world = make_world()
    failures = []
    for method, url in _dashboard_targets(world):
        if method != "GET":
            continue
        for query in QUERIES:
            response = admin_client.get(url + query)
            if response.status_code >= 500:
                failures.append(f"GET {url}{query}: {response.status_code}")
    # Ids in the path that name nothing, or nothing a database holds.
    for path in (f"/incidents/{HUGE}/", f"/incidents/{HUGE}/report/", f"/reminders/{HUGE}/"):
        response = admin_client.get(path)
        if response.status_code != 404:
            failures.append(f"GET {path}: {response.status_code}")
    assert not failures, "\n".join(failures)
