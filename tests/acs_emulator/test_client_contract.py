"""Contract: the app's client (calls.client) and parser (calls.callbacks) against the emulator,
over real HTTP on 127.0.0.1. Both sides were written separately from the same contract."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from calls import callback_events as ev
from calls import callbacks as cb
from calls.client import CallAutomationClient
from calls.provider_types import ProviderNotFound, ProviderRejected, ProviderUnauthorized
from calls.retry_policy import RetryPolicy
from tests.acs_emulator.scenarios import ACCESS_KEY, APP_ID, CALLER_ID, wav_bytes
from tests.acs_emulator.servers import Receiver

pytestmark = pytest.mark.dialect("preview")

FAST_RETRY = RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.05, max_retry_after=2.0)


def client_for(
    url: str, *, key: str = ACCESS_KEY, clock_skew: timedelta = timedelta()
) -> CallAutomationClient:
    return CallAutomationClient(
        f"endpoint={url}/;accesskey={key}",
        retry=FAST_RETRY,
        clock=lambda: datetime.now(UTC) + clock_skew,
    )


@pytest.fixture
def client(emulator_url: str, control: httpx.Client) -> Iterator[CallAutomationClient]:
    with client_for(emulator_url) as client:
        yield client


def parsed(receiver: Receiver, call_id: str) -> list[ev.AnyCallbackEvent]:
    """Every callback for the call, parsed exactly as the app's callback view parses them."""
    return [
        e for raw in receiver.events(call_id) for e in cb.parse_callback(json.dumps(raw).encode())
    ]


def place(
    client: CallAutomationClient, receiver: Receiver, *targets: str, tones: bool = True
) -> str:
    leg = client.create_call(
        source=APP_ID,
        targets=list(targets),
        callback_url=f"{receiver.url}/callbacks/contract",
        subject="Contract test",
        caller_id=CALLER_ID,
        subscribe_participants=True,
        subscribe_tones=tones,
        request_id=uuid.uuid4(),
        first_sent=datetime.now(UTC),
    )
    return leg.call_id


def behave(control: httpx.Client, target: str, **behaviour: object) -> None:
    control.put(f"/emulator/behaviours/{quote(target, safe='')}", json=behaviour).raise_for_status()


def test_a_call_lives_and_every_event_parses(
    client: CallAutomationClient, control: httpx.Client, receiver: Receiver
) -> None:
    call_id = place(client, receiver, "+14255550123")
    roster = receiver.wait_for(call_id, "ParticipantsUpdated", lambda d: "+14255550123" in str(d))
    (update,) = cb.parse_callback(json.dumps(roster).encode())
    assert isinstance(update, ev.ParticipantsUpdated)
    person = next(p for p in update.participants if p.identifier == "+14255550123")
    tones = f"/emulator/calls/{call_id}/participants/{person.participant_id}/tones"
    control.post(tones, json={"tones": "1"}).raise_for_status()
    receiver.wait_for(call_id, "DtmfReceived")
    receiver.files["prompt.wav"] = wav_bytes(0.5)
    op = client.play_audio(
        call_id, audio_url=f"{receiver.url}/audio/prompt.wav", loop=False, operation_context="p1"
    )
    assert op.operation_context == "p1"
    receiver.wait_for(call_id, "PlayAudioResult")
    client.hang_up(call_id)
    receiver.wait_for(call_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")

    events = parsed(receiver, call_id)
    states = [e.state for e in events if isinstance(e, ev.CallStateChanged)]
    assert states == [
        ev.CallState.ESTABLISHING,
        ev.CallState.ESTABLISHED,
        ev.CallState.TERMINATING,
        ev.CallState.TERMINATED,
    ]
    rosters = [e for e in events if isinstance(e, ev.ParticipantsUpdated)]
    assert "+14255550123" in {p.identifier for p in rosters[0].participants}
    pressed = [e for e in events if isinstance(e, ev.ToneReceived)]
    assert [(t.tone, t.sequence_id) for t in pressed] == [("1", 1)]
    plays = [e for e in events if isinstance(e, ev.PlayResult)]
    assert [(p.outcome, p.operation_context) for p in plays] == [(ev.MediaOutcome.COMPLETED, "p1")]
    assert not any(isinstance(e, ev.UnknownEvent) for e in events)


def test_tones_are_sent_only_when_requested(
    client: CallAutomationClient, control: httpx.Client, receiver: Receiver
) -> None:
    call_id = place(client, receiver, "+14255550124", tones=False)
    roster = receiver.wait_for(call_id, "ParticipantsUpdated", lambda d: "+14255550124" in str(d))
    (update,) = cb.parse_callback(json.dumps(roster).encode())
    assert isinstance(update, ev.ParticipantsUpdated)
    person = next(p for p in update.participants if p.identifier == "+14255550124")
    tones = f"/emulator/calls/{call_id}/participants/{person.participant_id}/tones"
    control.post(tones, json={"tones": "12"}).raise_for_status()
    client.hang_up(call_id)
    receiver.wait_for(call_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")
    assert not [e for e in parsed(receiver, call_id) if isinstance(e, ev.ToneReceived)]


def test_a_cancelled_looping_play_reports_cancelled(
    client: CallAutomationClient, control: httpx.Client, receiver: Receiver
) -> None:
    call_id = place(client, receiver, "+14255550125")
    receiver.wait_for(call_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")
    receiver.files["loop.wav"] = wav_bytes(1.0)
    client.play_audio(
        call_id, audio_url=f"{receiver.url}/audio/loop.wav", loop=True, operation_context="loop"
    )
    client.cancel_media(call_id, operation_context="stop")
    result = receiver.wait_for(call_id, "PlayAudioResult")
    assert result["data"]["ResultInfo"]["Subcode"] == 8508
    plays = [e for e in parsed(receiver, call_id) if isinstance(e, ev.PlayResult)]
    assert plays[0].outcome == ev.MediaOutcome.CANCELLED and plays[0].code == 400


@pytest.mark.parametrize("outcome", ["no-answer", "busy"])
def test_an_unanswered_target_ends_the_call(
    client: CallAutomationClient, control: httpx.Client, receiver: Receiver, outcome: str
) -> None:
    behave(control, "+14255550126", outcome=outcome)
    call_id = place(client, receiver, "+14255550126")
    receiver.wait_for(call_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")
    rosters = [e for e in parsed(receiver, call_id) if isinstance(e, ev.ParticipantsUpdated)]
    assert all("+14255550126" not in {p.identifier for p in r.participants} for r in rosters)


def test_invite_and_remove_a_participant(
    client: CallAutomationClient, control: httpx.Client, receiver: Receiver
) -> None:
    call_id = place(client, receiver, "+14255550127")
    receiver.wait_for(call_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")
    client.invite_participants(
        call_id, targets=["8:acs:contract_invitee"], operation_context="inv", caller_id=CALLER_ID
    )
    receiver.wait_for(call_id, "InviteParticipantResult")
    invite = [e for e in parsed(receiver, call_id) if isinstance(e, ev.InviteResult)][0]
    assert invite.succeeded and invite.operation_context == "inv"
    roster = receiver.wait_for(
        call_id, "ParticipantsUpdated", lambda d: "8:acs:contract_invitee" in json.dumps(d)
    )
    (update,) = cb.parse_callback(json.dumps(roster).encode())
    assert isinstance(update, ev.ParticipantsUpdated)
    entry = next(p for p in update.participants if p.identifier == "8:acs:contract_invitee")
    client.remove_participant(call_id, entry.participant_id)
    with pytest.raises(ProviderNotFound):
        client.remove_participant(call_id, str(uuid.uuid4()))


def test_errors_map_to_typed_exceptions(
    client: CallAutomationClient, emulator_url: str, control: httpx.Client, receiver: Receiver
) -> None:
    with pytest.raises(ProviderNotFound):
        client.hang_up(str(uuid.uuid4()))
    with (
        client_for(emulator_url, key="d3Jvbmcta2V5") as wrong_key,
        pytest.raises(ProviderUnauthorized),
    ):
        wrong_key.hang_up(str(uuid.uuid4()))
    with (
        client_for(emulator_url, clock_skew=timedelta(minutes=20)) as stale,
        pytest.raises(ProviderUnauthorized),
    ):
        stale.hang_up(str(uuid.uuid4()))
    call_id = place(client, receiver, "+14255550128")
    with pytest.raises(ProviderRejected):
        client.play_audio(call_id, audio_url="not a url", loop=False, operation_context="bad")


@pytest.mark.parametrize(
    "fault", [{"status": 500, "count": 2}, {"status": 429, "count": 1, "retryAfterSeconds": 1}]
)
def test_injected_failures_are_retried(
    client: CallAutomationClient, control: httpx.Client, receiver: Receiver, fault: dict[str, int]
) -> None:
    control.put("/emulator/faults", json={"failNext": fault}).raise_for_status()
    place(client, receiver, "+14255550129")
    # The injected failures were answered (so the client retried), and one call was made.
    assert control.get("/emulator/faults").json()["failNext"]["count"] == 0
    assert len(control.get("/emulator/calls").json()["calls"]) == 1
