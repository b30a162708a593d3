"""What the security matrix asks about: one of every object a URL can name, and a user per role.

Built once per test module (the matrix makes over a thousand requests); each request runs in a
savepoint that is rolled back, so no request sees what another one changed.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.roles import Role
from accounts.services import assign_role
from callouts.models import RecipientStatus
from calls.models import Call, CallMode
from calls.spoken import Spoken
from escalations.models import EscalationPolicy
from integrations.models import Integration
from tests.callouts.declared import declared_callout, numbers
from tests.escalations.scenario import declare, policy
from tests.factories import UserFactory, one_of_everything
from tests.reminders.conftest import make_reminder

# The matrix's columns, in this order everywhere (a role class is a tuple in this order).
ROLES = ("anonymous", "viewer", "operator", "admin")


@dataclass(frozen=True)
class World:
    objects: dict[str, Any]  # what a URL parameter is filled with, by the name routes use
    users: dict[str, User | None]  # by role; anonymous is None
    tokens: dict[str, str]  # API token keys by role


def _users() -> tuple[dict[str, User | None], dict[str, str]]:
    users: dict[str, User | None] = {"anonymous": None}
    tokens = {}
    for name, role in (("viewer", Role.VIEWER), ("operator", Role.OPERATOR), ("admin", Role.ADMIN)):
        user = assign_role(user=UserFactory.create(username=f"matrix-{name}"), role=role)
        users[name] = user
        tokens[name] = Token.objects.create(user=user).key
    return users, tokens


def build_objects() -> dict[str, Any]:
    """One of everything, in a state in which every action it is asked for can succeed, by the
    names URL parameters are filled with (tests.security.matrix.DEFAULT_ARGS)."""
    objects: dict[str, Any] = dict(one_of_everything())
    callout = declared_callout(1)
    recipient = callout.recipients.get()
    recipient.status = RecipientStatus.NOT_REACHED  # rung, not reached: can be rung again
    recipient.save(update_fields=["status"])
    steps = ([numbers(1, first=200)[0]], CallMode.BROADCAST, 600)
    escalation_policy = policy(steps, steps)
    integration = Integration.objects.create(
        name=f"Grafana {Integration.objects.count() + 1}", kind="grafana"
    )
    reminder = make_reminder("+14255550150", starts_at=timezone.now() + timedelta(days=1))
    call_incidents = dict(
        Call.objects.filter(pk__in=[objects["call"], objects["failed_call"]]).values_list(
            "pk", "incident_id"
        )
    )
    objects.update(
        callout_incident=callout.incident_id,
        recipient=recipient.pk,
        escalating_incident=declare(escalation_policy).pk,
        escalation_policy=EscalationPolicy.objects.get(pk=escalation_policy.pk).pk,
        integration=integration.pk,
        integration_token=integration.token,
        reminder=reminder.pk,
        call_incident=call_incidents[objects["call"]],
        failed_call_incident=call_incidents[objects["failed_call"]],
        callback_secret="not-the-secret",
        spoken=next(iter(Spoken)).value,
        # Fillers for parameters that name no object of ours.
        any_id=1,
        app_label="contacts",
        admin_path="no-such-page/",
        api_path="no-such-thing/",
        export_table="people",
        export_format="csv",
        provider_id="no-such-call",
        provider_verb="hangup",
    )
    return objects


def build_world() -> World:
    users, tokens = _users()
    objects = build_objects()
    objects["staff_user"] = users["admin"].pk  # type: ignore[union-attr]
    return World(objects, users, tokens)
