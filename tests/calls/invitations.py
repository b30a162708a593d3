"""What the invitation tests start from: a live call, and a provider at the transport that records
each invitation it is sent (repeatability pair and body), answers per person, and can die
mid-request. The `invitations` fixture (tests/calls/conftest.py) installs one."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from calls.models import Call, CallState
from tests.calls.test_callback_view import LEG
from tests.factories import CallFactory
from tests.provider_fake import answer as provider_answer

ADA, BOB = "+14255550101", "+14255550102"
T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Sent:
    target: str
    request_id: str
    first_sent: str
    body: bytes


@dataclass
class Invitations:
    """Invitations to `call`. Answers 202 unless `answers` says otherwise for a person (a status,
    or an exception to raise after recording the request: it arrived, and its sender never heard
    back)."""

    call: Call
    sent: list[Sent] = field(default_factory=list)
    answers: dict[str, int | Exception] = field(default_factory=dict)
    # Run inside the request, before it is answered (to look at the database then).
    during: Callable[[Sent], None] | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        # GA adds one participant a request; the 2021 preview sends a list (of one, here).
        (person,) = (
            [body["participantToAdd"]] if "participantToAdd" in body else body["participants"]
        )
        sent = Sent(
            target=person["phoneNumber"]["value"],
            request_id=request.headers["Repeatability-Request-ID"],
            first_sent=request.headers["Repeatability-First-Sent"],
            body=request.content,
        )
        self.sent.append(sent)
        if self.during is not None:
            self.during(sent)
        answer = self.answers.get(sent.target, 202)
        if isinstance(answer, Exception):
            raise answer
        if answer >= 400:
            error = {"code": "8523", "message": "Invalid target."}
            return httpx.Response(answer, json={"error": error})
        return provider_answer(request, len(self.sent)) if answer == 202 else httpx.Response(answer)

    def to(self, target: str) -> list[Sent]:
        return [s for s in self.sent if s.target == target]


def live_call() -> Call:
    call: Call = CallFactory.create(provider_call_id=LEG, state=CallState.ESTABLISHED)
    return call
