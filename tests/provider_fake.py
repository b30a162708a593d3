"""The call provider faked at the transport, in the dialect in force: it answers as the 2021
preview or as GA would (reference: shared/reference/acs-call-automation.md, sections 1 and 3),
and names what the app asked for in dialect-neutral words, so that tests of the services need
not know which wire they run on."""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from calls.client import CallAutomationClient
from calls.client_ga import GaCallAutomationClient
from calls.dialects import is_ga
from calls.provider import install_client
from calls.provider_interface import ProviderClient
from calls.retry_policy import NO_RETRY

CONNECTION = "endpoint=https://acs.test/;accesskey=cHc="

# (method, path pattern) -> the neutral name of the operation. The preview's one Hangup ends
# the call for everyone: it is what its client sends for terminate_call, and the app asks
# for nothing else, so it reads as "terminate".
_PREVIEW = [
    ("POST", r"/calling/calls", "create_call"),
    ("POST", r"/calling/calls/[^/]+/Hangup", "terminate"),
    ("POST", r"/calling/calls/[^/]+/PlayAudio", "play"),
    ("POST", r"/calling/calls/[^/]+/CancelMediaProcessing", "cancel_media"),
    ("POST", r"/calling/calls/[^/]+/participants", "add_participant"),
    ("DELETE", r"/calling/calls/[^/]+/participants/[^/]+", "remove_participant"),
]
_GA = [
    ("POST", r"/calling/callConnections", "create_call"),
    ("DELETE", r"/calling/callConnections/[^/:]+", "hang_up"),
    ("GET", r"/calling/callConnections/[^/:]+", "get_call"),
    ("GET", r"/calling/callConnections/[^/:]+/participants", "list_participants"),
    ("POST", r"/calling/callConnections/[^/:]+:terminate", "terminate"),
    ("POST", r"/calling/callConnections/[^/:]+:play", "play"),
    ("POST", r"/calling/callConnections/[^/:]+:cancelAllMediaOperations", "cancel_media"),
    ("POST", r"/calling/callConnections/[^/:]+:recognize", "recognize"),
    ("POST", r"/calling/callConnections/[^/:]+:startContinuousDtmfRecognition", "start_keys"),
    ("POST", r"/calling/callConnections/[^/:]+:stopContinuousDtmfRecognition", "stop_keys"),
    ("POST", r"/calling/callConnections/[^/:]+/participants:add", "add_participant"),
    ("POST", r"/calling/callConnections/[^/:]+/participants:remove", "remove_participant"),
    ("POST", r"/calling/callConnections/[^/:]+/participants:mute", "mute_participant"),
]
_OPERATIONS = [(method, re.compile(path), name) for method, path, name in [*_PREVIEW, *_GA]]


def operation(request: httpx.Request) -> str:
    """The neutral name of a provider request; raises ValueError for one neither dialect has."""
    for method, path, name in _OPERATIONS:
        if request.method == method and path.fullmatch(request.url.path):
            return name
    raise ValueError(f"Not a provider operation: {request.method} {request.url.path}")


def call_id_of(request: httpx.Request) -> str:
    """The provider's call id a request is about (its path's third segment, either dialect)."""
    return re.split(r"[/:]", request.url.path)[3]


def body_of(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content) if request.content else {}
    return body


def answer(request: httpx.Request, number: int) -> httpx.Response:
    """What the provider answers to a request that succeeds, in the request's own dialect."""
    name = operation(request)
    if request.url.path.startswith("/calling/calls"):  # the 2021 preview
        if name == "create_call":
            return httpx.Response(200, json={"callLegId": f"leg-{number}"})
        if name in ("play", "cancel_media"):
            body = {"id": "op", "status": "notStarted", "operationContext": "x"}
            return httpx.Response(202, json=body)
        return httpx.Response(202)
    if name == "create_call":
        properties = {"callConnectionId": f"leg-{number}", "callConnectionState": "connecting"}
        return httpx.Response(201, json=properties)
    if name in ("hang_up", "terminate"):
        return httpx.Response(204)
    if name == "get_call":
        properties = {"callConnectionId": call_id_of(request), "callConnectionState": "connected"}
        return httpx.Response(200, json=properties)
    if name == "list_participants":
        return httpx.Response(200, json={"value": []})
    if name in ("start_keys", "stop_keys", "mute_participant"):
        return httpx.Response(200, json={})
    return httpx.Response(202)


@dataclass(frozen=True)
class Played:
    source: str  # the file's URL, or the text GA speaks
    loop: bool
    context: str


class FakeProvider:
    """Records requests; answers from `responses` first, then as the provider would."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []
        # What a read of any call says (GA's reconciling reads; the preview has none): by
        # default nobody has answered yet, as for a call still ringing.
        self.call_state = "connecting"

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        name = operation(request)
        if name == "get_call":  # reads answer from the state, never from `responses`
            body = {"callConnectionId": call_id_of(request), "callConnectionState": self.call_state}
            return httpx.Response(200, json=body)
        if name == "list_participants":
            return httpx.Response(200, json={"value": []})
        if self.responses:
            return self.responses.pop(0)
        return answer(request, len(self.requests))

    def operations(self, *, keys: bool = False, reads: bool = False) -> list[str]:
        """The neutral names of the requests so far. Starting to hear a person's keys and
        reading a call are GA's alone (the preview hears every key from the start and cannot
        read a call), so they are left out unless `keys` / `reads`."""
        names = [operation(request) for request in self.requests]
        left_out = set() if keys else {"start_keys", "stop_keys"}
        left_out |= set() if reads else {"get_call", "list_participants"}
        return [name for name in names if name not in left_out]

    def sent(self, name: str) -> list[dict[str, Any]]:
        """The JSON bodies of the requests named `name`, in order."""
        return [body_of(r) for r in self.requests if operation(r) == name]

    def calls_asked(self, name: str) -> list[str]:
        """The provider call ids of the requests named `name`, in order."""
        return [call_id_of(r) for r in self.requests if operation(r) == name]

    def contexts(self, name: str) -> list[str]:
        """The operationContext of each request named `name` (the same key in both dialects)."""
        return [body.get("operationContext", "") for body in self.sent(name)]

    def dialled(self) -> list[list[str]]:
        """The numbers each create_call rang (`targets` in both dialects)."""
        return [_numbers(body["targets"]) for body in self.sent("create_call")]

    def caller_ids(self) -> list[str | None]:
        """The number each create_call showed (the preview's alternateCallerId, GA's
        sourceCallerIdNumber)."""
        return [_caller_id(body) for body in self.sent("create_call")]

    def invited(self) -> list[str]:
        """The numbers asked into running calls: the preview invites a list at once, GA one
        per request."""
        bodies = self.sent("add_participant")
        return [
            n for b in bodies for n in _numbers(b.get("participants", [b.get("participantToAdd")]))
        ]

    def played(self) -> list[Played]:
        """What each play request played: its file's URL (or GA's text), loop and context."""
        return [_played(body) for body in self.sent("play")]


def _numbers(identifiers: list[dict[str, Any]]) -> list[str]:
    return [identifier["phoneNumber"]["value"] for identifier in identifiers]


def _caller_id(body: dict[str, Any]) -> str | None:
    if "alternateCallerId" in body:
        return str(body["alternateCallerId"]["phoneNumber"]["value"])
    return str(body["sourceCallerIdNumber"]["value"]) if "sourceCallerIdNumber" in body else None


def _played(body: dict[str, Any]) -> Played:
    context = body["operationContext"]
    if "audioFileUri" in body:  # the preview
        return Played(body["audioFileUri"], body["loop"], context)
    (source,) = body["playSources"]
    what = source["file"]["uri"] if source["kind"] == "file" else source["text"]["text"]
    return Played(what, body.get("playOptions", {}).get("loop", False), context)


def client_for(transport: httpx.BaseTransport) -> ProviderClient:
    """A client of the dialect in force (ACS_API_VERSION) on `transport`, with no retries."""
    version = settings.ACS_API_VERSION
    if is_ga(version):
        return GaCallAutomationClient(
            CONNECTION, api_version=version, transport=transport, retry=NO_RETRY
        )
    return CallAutomationClient(CONNECTION, transport=transport, retry=NO_RETRY)


@contextmanager
def fake_transport(handle: Callable[[httpx.Request], httpx.Response]) -> Iterator[None]:
    """Inside the block every provider request goes to `handle` (no retries), through the
    client of the dialect in force."""
    install_client(client_for(httpx.MockTransport(handle)))
    try:
        yield
    finally:
        install_client(None)
