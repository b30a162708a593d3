"""A provider callback (the 2021 preview's envelope) for the ops tests, and its call."""

import json
from datetime import UTC, datetime
from typing import Any

from django.test import Client

from calls.models import Call, CallState, ParticipantState
from tests.factories import CallFactory, ParticipantFactory

LEG = "0a1f0000-1111-2222-3333-444455556666"
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def state_event(state: str, at: datetime = T0) -> dict[str, Any]:
    return {
        "id": None,
        "subject": f"callLeg/{LEG}/callState",
        "eventType": "Microsoft.Communication.CallLegStateChanged",
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
        "data": {"CallLegId": LEG, "CallState": state},
    }


def ringing_call() -> Call:
    call = CallFactory.create(provider_call_id=LEG, state=CallState.ESTABLISHING)
    ParticipantFactory.create(call=call, identifier="+14255550101", state=ParticipantState.RINGING)
    return call


def post(call: Call, body: Any, *, secret: str | None = None, **headers: str) -> Any:
    return Client(headers=headers).post(
        f"/calls/{call.pk}/events/{secret or call.callback_secret}/",
        data=json.dumps(body),
        content_type="application/json",
    )
