"""The integrations API: admins configure integrations; everyone else is refused."""

import pytest
from django.contrib.auth.models import User

from integrations.models import Integration
from tests.conftest import token_client
from tests.factories import ContactGroupFactory

pytestmark = pytest.mark.django_db
URL = "/api/integrations/"


def test_an_admin_creates_an_integration_and_gets_its_alert_url(admin_user: User) -> None:
    group = ContactGroupFactory.create()
    body = {"name": "Prometheus", "kind": "alertmanager", "groups": [group.pk], "mode": "bridge"}
    response = token_client(admin_user).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    made = Integration.objects.get()
    assert response.json()["url"].endswith(f"/api/integrations/{made.token}/alerts/")
    assert response.json()["severity_map"]["critical"] == "critical"
    assert response.json()["resolve_on_clear"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "nagios"}, "kind"),
        ({"severity_map": {"critical": "urgent"}}, "severity_map"),
        ({"severity_map": ["critical"]}, "severity_map"),
        ({"mode": "carrier-pigeon"}, "mode"),
    ],
    ids=repr,
)
def test_a_configuration_that_cannot_work_is_refused_at_its_field(
    admin_user: User, change: dict[str, object], field: str
) -> None:
    body = {"name": "Prometheus", "kind": "alertmanager", **change}
    response = token_client(admin_user).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["errors"]
    assert not Integration.objects.exists()


def test_operators_and_viewers_may_not_see_the_tokens(operator: User, viewer: User) -> None:
    Integration.objects.create(name="Grafana", kind="grafana")
    for user in (operator, viewer):
        assert token_client(user).get(URL).status_code == 403
        assert token_client(user).post(URL, {"name": "x"}, format="json").status_code == 403
    assert token_client(None).get(URL).status_code == 401
