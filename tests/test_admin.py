"""Every model's admin pages load for a superuser."""

import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import (
    CallEventFactory,
    ContactFactory,
    ContactGroupFactory,
    ParticipantFactory,
    TimelineEntryFactory,
    UserFactory,
)

# Read-only in the admin site: they change only through services and provider events.
NO_ADD_PAGE = {"incidents.timelineentry", "calls.call", "calls.participant", "calls.callevent"}


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
    call_command("seed_demo", stdout=io.StringIO())  # brings the default audio prompt

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
