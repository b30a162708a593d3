"""The reminders API: admins make, list, read and cancel; bad input is a 4xx in one shape."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User

from reminders.models import Reminder, ReminderState
from tests.conftest import token_client
from tests.factories import ContactFactory, ContactGroupFactory

T0 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
BODY: dict[str, Any] = {
    "name": "Dentist",
    "recipients": [{"number": "+14255551001"}],
    "message": {"text": "Your appointment is tomorrow at ten."},
    "starts_at": "2027-01-04T10:00:00+01:00",
    "time_zone": "Europe/Paris",
    "quiet_start": "21:00",
    "quiet_end": "08:00",
}


def test_an_admin_makes_lists_reads_and_cancels_a_reminder(admin_user: User) -> None:
    client = token_client(admin_user)
    group = ContactGroupFactory.create()
    group.members.add(ContactFactory.create())
    body = {**BODY, "recipients": [{"group": group.pk}, {"number": "+14255551001"}]}
    with time_machine.travel(T0, tick=False):
        made = client.post("/api/reminders/", body, format="json")
        assert made.status_code == 201, made.content
        assert made.json()["state"] == "scheduled"
        assert made.json()["next_run_at"] == "2027-01-04T09:00:00Z"
        assert made.json()["keypad"]["3"] == "call_back"
        pk = made.json()["id"]
        assert [r["id"] for r in client.get("/api/reminders/").json()["results"]] == [pk]
        assert client.get(f"/api/reminders/{pk}/").json()["name"] == "Dentist"
        cancelled = client.post(f"/api/reminders/{pk}/cancel/")
        assert cancelled.status_code == 200
        assert cancelled.json()["state"] == "cancelled"
        again = client.post(f"/api/reminders/{pk}/cancel/")
    assert again.status_code == 409
    assert again.json()["code"] == "reminder_started"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"starts_at": None}, "invalid_reminder"),
        ({"time_zone": "Mars/Olympus"}, "invalid_reminder"),
        ({"quiet_end": None}, "invalid_reminder"),
        ({"starts_at": None, "lead_minutes": 1440}, "invalid_reminder"),  # no appointments
        ({"recipients": []}, "invalid_reminder"),
        ({"recipients": [{"number": "not a number"}]}, "invalid_reminder"),
        ({"recipients": [{"number": "+14255551001", "group": 999}]}, "invalid"),
        ({"message": None}, "invalid"),
        ({"keypad": {"1": "explode"}}, "invalid"),
        ({"repeat": "hourly"}, "invalid"),
        ({"message": {"text": ""}}, "invalid"),
    ],
)
def test_bad_input_is_400_with_a_code_and_message(
    admin_user: User, change: dict[str, Any], code: str
) -> None:
    response = token_client(admin_user).post("/api/reminders/", {**BODY, **change}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not Reminder.objects.exists()


def test_only_admins_use_the_api(operator: User, viewer: User) -> None:
    for user in (operator, viewer):
        assert token_client(user).get("/api/reminders/").status_code == 403
        assert token_client(user).post("/api/reminders/", BODY, format="json").status_code == 403
    assert token_client(None).get("/api/reminders/").status_code == 401


def test_a_drill_between_runs_can_be_cancelled(admin_user: User) -> None:
    client = token_client(admin_user)
    body = {**BODY, "repeat": "weekly", "is_drill": True}
    with time_machine.travel(T0, tick=False):
        pk = client.post("/api/reminders/", body, format="json").json()["id"]
    Reminder.objects.filter(pk=pk).update(state=ReminderState.RUNNING)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert client.post(f"/api/reminders/{pk}/cancel/").status_code == 200
    assert Reminder.objects.get().next_run_at is None
