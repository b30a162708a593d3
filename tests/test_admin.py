"""Every model's admin pages load for a superuser."""

import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from calls.models import CallMode
from integrations.models import Alert, Integration
from reminders.services.firing import fire_due
from reports.models import CallRates
from tests.callouts.declared import declared_callout
from tests.escalations.scenario import declare, policy
from tests.factories import (
    CallEventFactory,
    ContactFactory,
    ContactGroupFactory,
    ParticipantFactory,
    SubscriptionFactory,
    TimelineEntryFactory,
    UserFactory,
)
from tests.reminders.conftest import make_reminder

# Read-only in the admin site: they change only through services and provider events.
NO_ADD_PAGE = {
    "incidents.timelineentry",
    "calls.call",
    "calls.participant",
    "calls.callevent",
    "callouts.callout",
    "callouts.recipient",
    "integrations.alert",
    "webhooks.delivery",
    "audit.auditentry",  # append-only: only the services write it
    "escalations.escalation",
    "reminders.reminder",  # made on the dashboard or the API (the service enqueues its firing)
    "reminders.reminderrun",
    "django_tasks_database.dbtaskresult",  # the task engine's own admin: its rows are its own
}


@pytest.mark.django_db
def test_changelist_add_and_change_pages_load_for_every_model() -> None:
    client = Client()
    root = UserFactory.create(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    Token.objects.create(user=root)  # API tokens are managed here too
    contact = ContactFactory.create()
    participant = ParticipantFactory.create(contact=contact)
    CallEventFactory.create(call=participant.call)
    TimelineEntryFactory.create(incident=participant.call.incident)
    ContactGroupFactory.create().members.add(contact)
    call_command("seed_demo", stdout=io.StringIO())  # the default prompt, numbers, presets
    SubscriptionFactory.create(events=["incident.declared"])
    # A call-out, its recipient and its pacing task; a webhook delivery; an audit entry.
    declared_callout(1, by=root)
    declared_callout(1)  # a call-out, its recipient and its pacing task; a webhook delivery
    CallRates.objects.create(pstn_per_minute="0.013", voip_per_minute="0.004")
    Alert.objects.create(integration=Integration.objects.get(), body="{}")
    declare(policy(([contact.phone_number], CallMode.BROADCAST, 60)))  # a policy, an escalation
    reminder = make_reminder("+14255551009", starts_at=timezone.now())
    fire_due(reminder_id=reminder.pk)  # a run, its incident and call-out

    for model in admin.site._registry:
        label = model._meta.label_lower
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(base).status_code == 200, label
        assert client.get(base, {"q": "x"}).status_code == 200, label
        obj = model._default_manager.first()
        assert obj is not None, label
        assert client.get(f"{base}{obj.pk}/change/").status_code == 200, label
        if label not in NO_ADD_PAGE:
            assert client.get(f"{base}add/").status_code == 200, label


PROVIDER_RECORDS = [
    "incidents.timelineentry",
    "calls.call",
    "calls.participant",
    "calls.callevent",
    "callouts.callout",
    "callouts.recipient",
]


@pytest.fixture
def root_client(db: None) -> Client:
    client = Client()
    client.force_login(UserFactory.create(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("label", PROVIDER_RECORDS)
def test_rows_only_the_app_writes_cannot_be_added_or_edited_in_the_admin(
    root_client: Client, label: str
) -> None:
    TimelineEntryFactory.create()
    CallEventFactory.create(call=ParticipantFactory.create().call)
    declared_callout(1)
    app_label, model_name = label.split(".")
    base = f"/admin/{app_label}/{model_name}/"
    changelist = root_client.get(base)
    assert changelist.status_code == 200
    assert f"{base}add/".encode() not in changelist.content  # no "Add" button
    assert root_client.get(f"{base}add/").status_code == 403
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    obj = model._default_manager.first()
    assert obj is not None
    change = root_client.get(f"{base}{obj.pk}/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content  # shown, not editable
    assert root_client.post(f"{base}{obj.pk}/change/", {}).status_code == 403


@pytest.mark.django_db
def test_admin_pages_carry_the_sites_own_name(root_client: Client) -> None:
    index = root_client.get("/admin/")
    assert b"<title>Incidents, calls and contacts | Incident Reporter administration</title>" in (
        index.content
    )
    assert b"Incident Reporter administration</a>" in index.content
    assert b"Django administration" not in index.content
    login = Client().get("/admin/login/")
    assert b"Incident Reporter administration" in login.content
