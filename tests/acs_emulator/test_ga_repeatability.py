"""GA's participants:add with Repeatability-Request-ID: the same id rings the person once, and
answers the first answer again; another body under the same id is refused."""

import uuid
from datetime import UTC, datetime

import httpx

from tests.acs_emulator.ga import CONNECTIONS, Q, connected_ga_call, ga_call_body, types_of
from tests.acs_emulator.scenarios import phone
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import rfc1123

COLLEAGUE = "+14255550177"


def add(
    acs: httpx.Client, call_id: str, headers: dict[str, str], context: str = "invite:1"
) -> httpx.Response:
    body = {"participantToAdd": phone(COLLEAGUE), "operationContext": context}
    return acs.post(
        f"{CONNECTIONS}/{call_id}/participants:add", params=Q, json=body, headers=headers
    )


def repeatable() -> dict[str, str]:
    return {
        "Repeatability-Request-ID": str(uuid.uuid4()),
        "Repeatability-First-Sent": rfc1123(datetime.now(UTC)),
    }


def colleague_entries(control: httpx.Client, call_id: str) -> int:
    people = control.get(f"/emulator/calls/{call_id}").json()["participants"]
    return sum(1 for p in people if p["rawId"] == f"4:{COLLEAGUE}")


def test_a_repeated_add_rings_once_and_answers_the_same(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    headers = repeatable()

    first = add(acs, call_id, headers)
    receiver.wait_for(call_id, "AddParticipantSucceeded")
    again = add(acs, call_id, headers)

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["Repeatability-Result"] == "accepted"
    assert colleague_entries(control, call_id) == 1
    assert types_of(receiver, call_id).count("AddParticipantSucceeded") == 1


def test_an_add_with_a_new_id_is_a_new_invitation(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    add(acs, call_id, repeatable())
    receiver.wait_for(call_id, "AddParticipantSucceeded")

    again = add(acs, call_id, repeatable())

    assert again.status_code == 400  # a second invitation of someone on the call
    assert colleague_entries(control, call_id) == 1


def test_an_add_id_reused_with_another_body_is_400(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    headers = repeatable()
    add(acs, call_id, headers)

    other = add(acs, call_id, headers, context="invite:2")

    assert other.status_code == 400
    assert other.headers["Repeatability-Result"] == "rejected"
    assert colleague_entries(control, call_id) == 1
