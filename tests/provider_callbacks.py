"""Provider callbacks for a call, built in the dialect in force: the 2021 preview's Event Grid
envelopes, or GA's CloudEvents, which the callback endpoint takes only with a valid JWT.

The envelopes are the emulator's own (acs_emulator.events, acs_emulator.ga_events), built for
a stand-in of the app's call, so the tests and the emulator cannot drift apart on the formats.
"""

import functools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from acs_emulator import events as preview
from acs_emulator import ga_events as ga
from acs_emulator.ga_payloads import TONE_NAMES
from acs_emulator.identifiers import Identifier, Kind
from acs_emulator.media import CANCELLED
from acs_emulator.state import (
    Call as EmulatedCall,
)
from acs_emulator.state import (
    CallState,
    Operation,
    Participant,
    ParticipantState,
    PlayOperation,
    ResultInfo,
    Role,
)
from calls.models import Call
from calls.provider import install_callback_verifier
from tests.calls.signed_callbacks import new_key, serve, token, verifier_for
from tests.dialects import ga_in_force

Envelope = dict[str, Any]

_STATES = {"CallConnected": CallState.ESTABLISHED, "CallDisconnected": CallState.TERMINATED}
_PLAYS = {"PlayCompleted": "Completed", "PlayFailed": "Failed", "PlayCanceled": "Completed"}
_ADDS = ("AddParticipantSucceeded", "AddParticipantFailed")


def callback(
    kind: str,
    *,
    call: Call,
    people: Sequence[str] = (),
    key: str = "",
    who: str = "",
    context: str | None = None,
    code: int | None = None,
    message: str = "",
) -> Envelope:
    """One callback about `call`. `kind` is GA's name: CallConnected, CallDisconnected,
    ParticipantsUpdated (`people` on the call now), ToneReceived (`key` pressed by `who`),
    PlayCompleted/PlayFailed/PlayCanceled and AddParticipantSucceeded/Failed (of the request
    whose `context` it echoes; `who` was added; a failure's `code` and `message`),
    CreateCallFailed (the phone refused with SIP `code`), and the preview's CallTerminating.
    Raises ValueError for another kind, or one the dialect in force does not send."""
    emulated = _stand_in(call, people)
    if kind in _STATES:
        emulated.state = _STATES[kind]
        if ga_in_force():
            result = ga.CONNECTED if kind == "CallConnected" else ga.HUNG_UP
            return ga.cloud_event(emulated, kind, None, Operation(), result)
        return preview.call_leg_state_changed(emulated)
    if kind == "ParticipantsUpdated":
        if ga_in_force():
            people_json = [ga.participant_json(p) for p in emulated.roster()]
            return ga.cloud_event(emulated, kind, {"participants": people_json})
        return preview.participants_updated(emulated)
    if kind == "ToneReceived":
        return _tone(emulated, key, who, context)
    if kind in _PLAYS:
        return _play(emulated, kind, context, _result(kind, code, message))
    if kind == "CallTerminating":
        if ga_in_force():
            raise ValueError("GA sends no event when a call starts ending.")
        emulated.state = CallState.TERMINATING
        return preview.call_leg_state_changed(emulated)
    if kind == "CreateCallFailed":
        return _refused(emulated, ResultInfo(code or 500, 0, message or "Refused."))
    if kind in _ADDS:
        failure = None if kind == _ADDS[0] else ResultInfo(code or 500, 0, message)
        return _added(emulated, kind, _phone(who), context, failure)
    raise ValueError(f"No callback of kind {kind!r} here.")


def _stand_in(call: Call, people: Sequence[str]) -> EmulatedCall:
    emulated = EmulatedCall(
        source=Identifier(Kind.COMMUNICATION_USER, "8:acs:app"),
        callback_uri="",
        requested_events=frozenset(),
        modalities=("audio",),
        call_leg_id=call.provider_call_id,
    )
    for number in people:
        person = _phone(number)
        emulated.participants[number] = Participant(
            person, Role.TARGET, ParticipantState.CONNECTED, participant_id=person.raw_id
        )
    return emulated


def _refused(call: EmulatedCall, failure: ResultInfo) -> Envelope:
    """GA reports a refused call as CreateCallFailed naming the SIP response; the preview's
    emulator says nothing of why, but some preview builds put the same resultInformation in
    the Terminated state event, and the app reads it there."""
    if ga_in_force():
        return ga.cloud_event(call, "CreateCallFailed", ga.refusal_json(failure), result=failure)
    call.state = CallState.TERMINATED
    event = preview.call_leg_state_changed(call)
    sip = {"Code": failure.code, "Message": failure.message}
    data = {
        **_object(event["data"]),
        "ResultInformation": {"Code": failure.code, "SipDetails": sip},
    }
    return {**event, "data": data}


def _object(value: object) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value


def _phone(raw: str) -> Identifier:
    """A person in the app's raw form: "+E164" (or "4:+E164") or an "8:" ACS user."""
    if raw.startswith("8:"):
        return Identifier(Kind.COMMUNICATION_USER, raw)
    return Identifier(Kind.PHONE_NUMBER, raw.removeprefix("4:"))


_sequence = iter(range(1, 10**9))  # every tone is a new press, never a redelivery


def _tone(call: EmulatedCall, key: str, who: str, context: str | None) -> Envelope:
    if not ga_in_force():
        return preview.dtmf_received(call, next(_sequence), key)
    extra = {
        "sequenceId": next(_sequence),
        "tone": TONE_NAMES[key],
        "participant": _phone(who).to_ga_json(),
    }
    name = "ContinuousDtmfRecognitionToneReceived"
    return ga.cloud_event(call, name, extra, Operation(context), ga.OK)


def _result(kind: str, code: int | None, message: str) -> ResultInfo:
    if kind == "PlayCanceled":
        return CANCELLED
    if kind == "PlayFailed":
        return ResultInfo(code or 500, 0, message or "The play failed.")
    return ResultInfo(200, 0, "Action completed successfully.")


def _play(call: EmulatedCall, kind: str, context: str | None, result: ResultInfo) -> Envelope:
    if ga_in_force():
        return ga.cloud_event(call, kind, None, Operation(context), result)
    play = PlayOperation(sources=(), loop=False, operation_context=context, result=result)
    return preview.play_audio_result(call, play, _PLAYS[kind])


def _added(
    call: EmulatedCall,
    kind: str,
    who: Identifier,
    context: str | None,
    failure: ResultInfo | None,
) -> Envelope:
    if not ga_in_force():
        return preview.invite_participant_result(call, who, context, failure)
    extra: dict[str, Any] = {"participant": who.to_ga_json()}
    if failure is not None:
        extra |= ga.refusal_json(failure)
    return ga.cloud_event(call, kind, extra, Operation(context), failure or ga.OK)


# --- Delivery ------------------------------------------------------------------------------


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    return new_key()  # one per test run: making an RSA key is slow


@contextmanager
def provider_keys() -> Iterator[None]:
    """Inside the block the app checks callback JWTs against the tests' own signing key."""
    install_callback_verifier(verifier_for(serve((_signing_key(), "key-1"))))
    try:
        yield
    finally:
        install_callback_verifier(None)


def signed() -> dict[str, str]:
    """The headers the provider sends with a callback: on GA, a fresh JWT; none on preview."""
    return {"Authorization": f"Bearer {token(_signing_key())}"} if ga_in_force() else {}


def post(call: Call, body: Any, *, secret: str | None = None, **headers: str) -> Any:
    """POST `body` to the call's callback endpoint as the provider would (signed on GA)."""
    return Client(headers=signed() | headers).post(
        f"/calls/{call.pk}/events/{secret or call.callback_secret}/",
        data=json.dumps(body),
        content_type="application/json",
    )


def event_type(envelope: Envelope) -> str:
    """A callback's event type, as the app stores it (GA's `type`, the preview's `eventType`)."""
    return str(envelope.get("type") or envelope["eventType"])
