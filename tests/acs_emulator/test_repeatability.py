"""Repeatability-Request-ID on create call and on invitations: one id places one call (or rings
one person once), however often and whenever (within the window) the request comes again, and
even when its copies arrive at once."""

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.acs_emulator.scenarios import (
    CALLS,
    call_body,
    calls_in_emulator,
    established_call,
    phone,
)
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import rfc1123

pytestmark = pytest.mark.dialect("preview")

COPIES = 16
# Every answer is held this long after the call is placed, so that the copies overlap in flight.
SLOW_MS = 300


def repeatable(request_id: str, first_sent: datetime | None = None) -> dict[str, str]:
    return {
        "Repeatability-Request-ID": request_id,
        "Repeatability-First-Sent": rfc1123(first_sent or datetime.now(UTC)),
    }


@dataclass(frozen=True)
class Sent:
    response: httpx.Response
    at: float
    answered_at: float


def send_at_once(
    acs: httpx.Client, body: dict[str, object], headers: Callable[[], dict[str, str]]
) -> list[Sent]:
    """POST one create-call body from COPIES threads released together; the client's pool (it is
    thread-safe) gives each its own connection."""
    start = threading.Barrier(COPIES)

    def send(_: int) -> Sent:
        start.wait()
        at = time.monotonic()
        response = acs.post(CALLS, json=body, headers=headers())
        return Sent(response, at, time.monotonic())

    with ThreadPoolExecutor(COPIES) as pool:
        return list(pool.map(send, range(COPIES)))


def most_in_flight(sent: list[Sent]) -> int:
    """The most requests that had been sent and not yet answered at one moment."""
    return max(sum(1 for other in sent if other.at <= s.at < other.answered_at) for s in sent)


def dials(receiver: Receiver, call_leg_id: str) -> int:
    """How often the call was dialled: each dial starts with an Establishing event."""
    return sum(
        1
        for e in receiver.events(call_leg_id)
        if e["eventType"].endswith("CallLegStateChanged")
        and e["data"]["CallState"] == "Establishing"
    )


def test_repeated_create_call_returns_the_same_call_and_places_one_call(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    headers = repeatable(str(uuid.uuid4()))
    body = call_body(receiver.url)

    first = acs.post(CALLS, json=body, headers=headers)
    again = acs.post(CALLS, json=body, headers=headers)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.headers["Repeatability-Result"] == "accepted"
    assert calls_in_emulator(control) == 1


def test_copies_sent_at_once_while_answers_are_held_place_one_call(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put("/emulator/faults", json={"slowRate": 1, "slowMs": SLOW_MS})
    headers = repeatable(str(uuid.uuid4()))

    sent = send_at_once(acs, call_body(receiver.url), lambda: headers)

    # Usually all 16 overlap; on a loaded machine at least a later copy met an unanswered one.
    assert most_in_flight(sent) >= 2
    responses = [s.response for s in sent]
    assert {r.status_code for r in responses} == {200}
    assert {r.headers["Repeatability-Result"] for r in responses} == {"accepted"}
    call_leg_ids = {r.json()["callLegId"] for r in responses}
    assert len(call_leg_ids) == 1
    assert calls_in_emulator(control) == 1
    call_leg_id = call_leg_ids.pop()
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")
    assert dials(receiver, call_leg_id) == 1


def test_copies_with_distinct_ids_sent_at_once_place_a_call_each(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    sent = send_at_once(acs, call_body(receiver.url), lambda: repeatable(str(uuid.uuid4())))

    assert len({s.response.json()["callLegId"] for s in sent}) == COPIES
    assert calls_in_emulator(control) == COPIES


def test_retry_while_the_first_answer_is_still_on_its_way_gets_the_same_call(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put("/emulator/faults", json={"slowRate": 1, "slowMs": SLOW_MS})
    headers = repeatable(str(uuid.uuid4()))
    body = call_body(receiver.url)

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(acs.post, CALLS, json=body, headers=headers)
        while calls_in_emulator(control) == 0:
            time.sleep(0.005)
        # The call exists but its creator has not heard back: the client's timeout case.
        assert not first.done()
        again = acs.post(CALLS, json=body, headers=headers)

        assert again.json() == first.result().json()
    assert calls_in_emulator(control) == 1


def test_retry_after_the_call_ended_gets_the_ended_call_and_dials_nobody(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    headers = repeatable(str(uuid.uuid4()))
    body = call_body(receiver.url)
    call_leg_id = acs.post(CALLS, json=body, headers=headers).json()["callLegId"]
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")
    acs.post(f"{CALLS}/{call_leg_id}/Hangup").raise_for_status()
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")

    again = acs.post(CALLS, json=body, headers=headers)

    assert again.status_code == 200
    assert again.json() == {"callLegId": call_leg_id}
    assert calls_in_emulator(control) == 1
    assert control.get(f"/emulator/calls/{call_leg_id}").json()["state"] == "Terminated"
    assert dials(receiver, call_leg_id) == 1


def test_new_request_id_places_a_new_call(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    body = call_body(receiver.url)

    first = acs.post(CALLS, json=body, headers=repeatable(str(uuid.uuid4())))
    second = acs.post(CALLS, json=body, headers=repeatable(str(uuid.uuid4())))

    assert first.json() != second.json()
    assert calls_in_emulator(control) == 2


def test_reused_request_id_with_another_body_is_400(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    headers = repeatable(str(uuid.uuid4()))
    acs.post(CALLS, json=call_body(receiver.url), headers=headers)

    response = acs.post(CALLS, json=call_body(receiver.url, phone("+14255550777")), headers=headers)

    assert response.status_code == 400
    assert response.headers["Repeatability-Result"] == "rejected"
    assert calls_in_emulator(control) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {
            "Repeatability-Request-ID": "not-a-guid",
            "Repeatability-First-Sent": rfc1123(datetime.now(UTC)),
        },
        {"Repeatability-Request-ID": str(uuid.uuid4()), "Repeatability-First-Sent": "yesterday"},
        {"Repeatability-Request-ID": str(uuid.uuid4())},
        {"Repeatability-First-Sent": rfc1123(datetime.now(UTC))},
    ],
    ids=["bad id", "bad date", "id alone", "date alone"],
)
def test_malformed_repeatability_headers_are_400(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, headers: dict[str, str]
) -> None:
    response = acs.post(CALLS, json=call_body(receiver.url), headers=headers)

    assert response.status_code == 400
    assert calls_in_emulator(control) == 0


def test_first_sent_older_than_five_minutes_is_412(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    headers = repeatable(str(uuid.uuid4()), datetime.now(UTC) - timedelta(minutes=6))

    response = acs.post(CALLS, json=call_body(receiver.url), headers=headers)

    assert response.status_code == 412
    assert calls_in_emulator(control) == 0


# --- Invitations: the same id rings nobody a second time ---------------------------------

INVITEE = "+14255550155"


def invitee_entries(control: httpx.Client, call_leg_id: str) -> int:
    """How often the emulator added the invitee to the call: each ring adds an entry."""
    people = control.get(f"/emulator/calls/{call_leg_id}").json()["participants"]
    return sum(1 for p in people if p["rawId"] == f"4:{INVITEE}")


def test_repeated_invitation_rings_the_person_once(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    body = {"participants": [phone(INVITEE)], "operationContext": "invite:1"}
    headers = repeatable(str(uuid.uuid4()))
    path = f"{CALLS}/{call_leg_id}/participants"

    first = acs.post(path, json=body, headers=headers)
    receiver.wait_for(call_leg_id, "InviteParticipantResult")
    again = acs.post(path, json=body, headers=headers)

    assert first.status_code == again.status_code == 202
    assert again.headers["Repeatability-Result"] == "accepted"
    assert invitee_entries(control, call_leg_id) == 1
    receiver.wait_for(call_leg_id, "ParticipantsUpdated", lambda d: len(d["Participants"]) == 3)
    results = [e for e in receiver.events(call_leg_id) if e["eventType"].endswith("Result")]
    assert len(results) == 1


def test_invitation_without_repeatability_is_refused_for_someone_ringing(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    # What the repeatability headers are for: without them a repeat is a second invitation.
    control.put(f"/emulator/behaviours/{INVITEE}", json={"outcome": "no-answer"})
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    body = {"participants": [phone(INVITEE)], "operationContext": "invite:1"}
    path = f"{CALLS}/{call_leg_id}/participants"

    assert acs.post(path, json=body).status_code == 202
    again = acs.post(path, json=body)

    assert again.status_code == 400
    assert "Repeatability-Result" not in again.headers


def test_invitation_id_reused_with_another_body_or_call_is_400(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    headers = repeatable(str(uuid.uuid4()))
    path = f"{CALLS}/{call_leg_id}/participants"
    acs.post(
        path, json={"participants": [phone(INVITEE)], "operationContext": "a"}, headers=headers
    )

    other = acs.post(
        path, json={"participants": [phone(INVITEE)], "operationContext": "b"}, headers=headers
    )
    as_call = acs.post(CALLS, json=call_body(receiver.url), headers=headers)

    assert other.status_code == as_call.status_code == 400
    assert other.headers["Repeatability-Result"] == "rejected"
    assert invitee_entries(control, call_leg_id) == 1
    assert calls_in_emulator(control) == 1
