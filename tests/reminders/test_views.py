"""The dashboard's reminder pages: the form and its preview, the page, export and cancel."""

from datetime import UTC, datetime
from typing import Any

import time_machine
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.test import Client

from callouts.models import Attempt, Outcome, Recipient, RecipientStatus
from reminders.models import Reminder, ReminderState
from tests.callouts.conftest import run_tasks
from tests.provider_fake import FakeProvider
from tests.reminders.conftest import make_reminder

T0 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
FORM = {
    "name": "Fire wardens",
    "numbers": "+14255551001\n+14255551002, 2027-01-05 10:00, America/New_York",
    "message": "This is a drill. Press 1 to confirm you can be reached.",
    "voice": "en-US-JennyNeural",
    "time_zone": "Europe/Paris",
    "starts_at": "2027-01-04T10:00",
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "repeat": "weekly",
    "is_drill": "on",
}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_preview_shows_who_is_called_when_and_saves_nothing(admin_user: User) -> None:
    with time_machine.travel(T0, tick=False):
        response = signed_in(admin_user).post("/reminders/preview/", FORM)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Who will be called when" in body
    # 10:00 in Paris is 09:00 UTC; in New York that is 04:00, quiet until 08:00 (13:00 UTC).
    assert "2027-01-04 09:00 UTC" in body
    assert "2027-01-04 13:00 UTC" in body
    assert not Reminder.objects.exists()


def test_saving_schedules_it_and_its_page_lists_the_confirmations(
    admin_user: User, pool: Any, provider: FakeProvider
) -> None:
    with time_machine.travel(T0, tick=False):
        client = signed_in(admin_user)  # in 2027: a session made today would have expired
        response = client.post("/reminders/create/", FORM)
        reminder = Reminder.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/reminders/{reminder.pk}/"
        assert reminder.starts_at == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2027, 1, 4, 9, 0, 1, tzinfo=UTC), tick=False):
        run_tasks()
        attempt = Attempt.objects.get(recipient__identifier="+14255551001")
        Attempt.objects.filter(pk=attempt.pk).update(outcome=Outcome.ACKNOWLEDGED)
        recipient = Recipient.objects.filter(pk=attempt.recipient_id)
        recipient.update(status=RecipientStatus.ACKNOWLEDGED)
        page = client.get(f"/reminders/{reminder.pk}/").content.decode()
        assert client.get("/reminders/").status_code == 200
    assert 'data-identifier="+14255551001" data-answer="confirmed"' in page
    assert 'data-identifier="+14255551002" data-answer="waiting"' in page


def test_the_export_streams_every_confirmation_as_csv(
    admin_user: User, pool: Any, provider: FakeProvider
) -> None:
    with time_machine.travel(T0, tick=False):
        reminder = make_reminder("+14255551001", "+14255551002", starts_at=T0)
        run_tasks()
        Recipient.objects.filter(identifier="+14255551002").update(status=RecipientStatus.DECLINED)
        response = signed_in(admin_user).get(f"/reminders/{reminder.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    assert isinstance(response, StreamingHttpResponse)
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("occurrence,incident,name,identifier,answer")
    assert [line.split(",")[4] for line in lines[1:]] == ["calling", "cancelled"]


def test_cancel_button_and_permissions(admin_user: User, operator: User) -> None:
    with time_machine.travel(T0, tick=False):
        reminder = make_reminder("+14255551001", starts_at=datetime(2027, 2, 1, tzinfo=UTC))
        assert signed_in(operator).get("/reminders/").status_code == 403
        assert signed_in(operator).post(f"/reminders/{reminder.pk}/cancel/").status_code == 403
        client = signed_in(admin_user)
        assert "cancel-button" in client.get(f"/reminders/{reminder.pk}/").content.decode()
        assert client.post(f"/reminders/{reminder.pk}/cancel/").status_code == 302
    assert Reminder.objects.get().state == ReminderState.CANCELLED


def test_a_form_with_no_time_is_refused_with_a_message(admin_user: User) -> None:
    response = signed_in(admin_user).post("/reminders/create/", {**FORM, "starts_at": ""})
    assert response.status_code == 400
    assert "Give either a start time" in response.content.decode()


def test_the_admin_site_cancels_a_reminder(admin_user: User) -> None:
    admin_user.is_staff = True
    admin_user.save()
    with time_machine.travel(T0, tick=False):
        reminder = make_reminder("+14255551001", starts_at=datetime(2027, 2, 1, tzinfo=UTC))
        response = signed_in(admin_user).post(
            "/admin/reminders/reminder/",
            {"action": "cancel", "_selected_action": [reminder.pk]},
        )
    assert response.status_code == 302
    assert Reminder.objects.get().state == ReminderState.CANCELLED
