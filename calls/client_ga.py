"""The GA dialect of the call provider's client (calls.provider_interface).

It speaks `/calling/callConnections` with colon verbs at one GA api-version (2023-03-06 and
later; reference: shared/reference/acs-call-automation.md, section 3), over calls.provider_http's
signed, retried exchange. Success is any 2xx (201 create; 204 hang-up and terminate; 202 play,
recognize, cancel, add, remove; 200 get, list, mute, continuous DTMF); a
`CommunicationErrorResponse` becomes the ProviderError subclass for its status.

Retry choices: every transient failure for all operations. The POSTs with repeatability
headers (create, terminate, add, remove, mute) resend the same pair, so the provider acts once;
the rest are harmless to repeat (a repeat of one that took effect answers 404, or queues a
prompt twice, or restarts a recognition).
"""

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import httpx

from calls import wire_ga
from calls.dialects import NEWEST_GA_VERSION, is_ga
from calls.provider_http import SignedClient, SignedHttp, json_object, utc_now
from calls.provider_types import (
    CallInfo,
    CallLeg,
    FileSource,
    MediaOperation,
    OperationStatus,
    ParticipantInfo,
    PlaySource,
    ProviderProtocolError,
)
from calls.retry_policy import DEFAULT_RETRY, RetryPolicy, transient
from calls.wire import non_empty

MAX_PAGES = 50  # of a participant list: 350 people at the provider's page size is far fewer


class GaCallAutomationClient(SignedClient):
    """Synchronous GA client for one provider resource; close it, or use it as a context
    manager. Every method raises ProviderError subclasses for provider and network failures,
    and ValueError (InvalidIdentifier among them) for bad arguments, before sending anything.
    The constructor raises ValueError for a bad connection string or a non-GA api_version.
    """

    def __init__(
        self,
        connection_string: str,
        *,
        api_version: str = NEWEST_GA_VERSION,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not is_ga(api_version):  # raises ValueError for an unknown one
            raise ValueError(f"{api_version} is not a GA version: use calls.client.")
        self._http = SignedHttp(
            connection_string,
            api_version=api_version,
            transport=transport,
            timeout=timeout,
            connect_timeout=connect_timeout,
            retry=retry,
            sleep=sleep,
            clock=clock,
        )

    def create_call(
        self,
        *,
        source: str,
        targets: Sequence[str],
        callback_url: str,
        subject: str = "",
        caller_id: str | None,
        subscribe_participants: bool,
        subscribe_tones: bool,
        request_id: uuid.UUID,
        first_sent: datetime,
    ) -> CallLeg:
        """Dial `targets` showing `caller_id` (sourceCallerIdNumber). GA calls come from the
        resource itself, so `source` is not sent; GA has no subject and sends every event, so
        `subject` and the subscriptions are not either. Raises ProviderError, ValueError."""
        if not callback_url.startswith(("https://", "http://")):
            raise ValueError("callback_url must be an absolute http(s) URL.")
        if not targets:
            raise ValueError("targets must not be empty.")
        body: dict[str, Any] = {
            "targets": wire_ga.identifiers(targets),
            "callbackUri": callback_url,
        }
        if caller_id is not None:
            body["sourceCallerIdNumber"] = wire_ga.phone_number(caller_id)
        headers = self._repeatability(request_id, first_sent)
        response = self._send("create_call", "POST", "/calling/callConnections", body, headers)
        body = json_object(response)
        call_id = body.get("callconnectionid")
        if not isinstance(call_id, str) or not call_id:
            raise ProviderProtocolError(
                "create_call", "success without a callConnectionId", status=response.status_code
            )
        return CallLeg(call_id=call_id, source=wire_ga.call_source(body))

    def hang_up(self, call_id: str) -> None:
        """The app leaves the call. Raises ProviderError (ProviderNotFound once it is gone)."""
        self._send("hang_up", "DELETE", wire_ga.connection_path(call_id))

    def terminate_call(
        self,
        call_id: str,
        *,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """End the call for everyone. Raises ProviderError, ValueError."""
        self._post_repeatable("terminate_call", call_id, ":terminate", None, request_id, first_sent)

    def play_audio(
        self,
        call_id: str,
        *,
        audio_url: str,
        loop: bool,
        operation_context: str,
        audio_id: str | None = None,
    ) -> MediaOperation:
        """Play a WAV file to everyone. Raises ProviderError, ValueError."""
        source = FileSource(url=audio_url, cache_id=audio_id)
        return self.play(call_id, source=source, loop=loop, operation_context=operation_context)

    def play(
        self,
        call_id: str,
        *,
        source: PlaySource,
        to: Sequence[str] = (),
        loop: bool = False,
        operation_context: str,
    ) -> MediaOperation:
        """Play `source` to `to` (empty: everyone); PlayStarted, then PlayCompleted/Failed/
        Canceled carry `operation_context`. Raises ProviderError, ValueError."""
        body: dict[str, Any] = {
            "playSources": [wire_ga.play_source(source)],
            "playOptions": {"loop": loop},
            "operationContext": non_empty("operation_context", operation_context),
        }
        if to:
            body["playTo"] = wire_ga.identifiers(to)
        self._send("play", "POST", wire_ga.connection_path(call_id, ":play"), body)
        return _accepted(operation_context)

    def cancel_media(self, call_id: str, *, operation_context: str) -> MediaOperation:
        """Stop all media; each stopped play reports PlayCanceled with its own context (GA
        takes no context here, so `operation_context` is only returned). Raises ProviderError,
        ValueError."""
        path = wire_ga.connection_path(call_id, ":cancelAllMediaOperations")
        self._send("cancel_media", "POST", path)
        return _accepted(non_empty("operation_context", operation_context))

    def invite_participants(
        self,
        call_id: str,
        *,
        targets: Sequence[str],
        operation_context: str,
        caller_id: str | None = None,
    ) -> None:
        """One add_participant per target, each with its own repeatability pair; every target
        is checked before the first is sent. Raises ProviderError, ValueError."""
        wire_ga.identifiers(targets)
        if not targets:
            raise ValueError("targets must not be empty.")
        for target in targets:
            self.add_participant(
                call_id, target=target, operation_context=operation_context, caller_id=caller_id
            )

    def add_participant(
        self,
        call_id: str,
        *,
        target: str,
        operation_context: str,
        caller_id: str | None = None,
        invitation_timeout: int | None = None,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """Ring `target` into the call; AddParticipantSucceeded/Failed follows. Raises
        ProviderError, ValueError."""
        body: dict[str, Any] = {
            "participantToAdd": wire_ga.identifier(target),
            "operationContext": non_empty("operation_context", operation_context),
        }
        if caller_id is not None:
            body["sourceCallerIdNumber"] = wire_ga.phone_number(caller_id)
        if invitation_timeout is not None:
            timeout = wire_ga.in_range("invitation_timeout", invitation_timeout, 0, 180)
            body["invitationTimeoutInSeconds"] = timeout
        self._post_repeatable(
            "add_participant", call_id, "/participants:add", body, request_id, first_sent
        )

    def remove_participant(
        self,
        call_id: str,
        participant_id: str,
        *,
        operation_context: str | None = None,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """Drop one participant (its raw id from a roster, or the app's identifier). Raises
        ProviderError, ValueError."""
        body = _with_context(
            {"participantToRemove": wire_ga.identifier(participant_id)}, operation_context
        )
        self._post_repeatable(
            "remove_participant", call_id, "/participants:remove", body, request_id, first_sent
        )

    def mute_participant(
        self,
        call_id: str,
        participant_id: str,
        *,
        operation_context: str | None = None,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """Mute one participant (the provider mutes ACS users only and refuses phones with
        ProviderRejected). Raises ProviderError, ValueError."""
        body = _with_context(
            {"targetParticipants": [wire_ga.identifier(participant_id)]}, operation_context
        )
        self._post_repeatable(
            "mute_participant", call_id, "/participants:mute", body, request_id, first_sent
        )

    def recognize_dtmf(
        self,
        call_id: str,
        *,
        target: str,
        prompt: PlaySource | None,
        operation_context: str,
        max_tones: int = 1,
        stop_tones: Sequence[str] = (),
        initial_silence_timeout: int = 5,
        inter_tone_timeout: int = 2,
        interrupt_prompt: bool = True,
    ) -> None:
        """Play `prompt` to `target` and collect keys; RecognizeCompleted/Failed follows.
        Raises ProviderError, ValueError."""
        dtmf: dict[str, Any] = {
            "maxTonesToCollect": wire_ga.in_range("max_tones", max_tones, 1, 100),
            "interToneTimeoutInSeconds": wire_ga.in_range(
                "inter_tone_timeout", inter_tone_timeout, 1, 60
            ),
        }
        if stop_tones:
            dtmf["stopTones"] = [wire_ga.tone(key) for key in stop_tones]
        body: dict[str, Any] = {
            "recognizeInputType": "dtmf",
            "recognizeOptions": {
                "targetParticipant": wire_ga.identifier(target),
                "interruptPrompt": interrupt_prompt,
                "initialSilenceTimeoutInSeconds": wire_ga.in_range(
                    "initial_silence_timeout", initial_silence_timeout, 0, 300
                ),
                "dtmfOptions": dtmf,
            },
            "operationContext": non_empty("operation_context", operation_context),
        }
        if prompt is not None:
            body["playPrompt"] = wire_ga.play_source(prompt)
        self._send("recognize_dtmf", "POST", wire_ga.connection_path(call_id, ":recognize"), body)

    def start_continuous_dtmf(self, call_id: str, *, target: str, operation_context: str) -> None:
        """Report each key `target` presses (ContinuousDtmfRecognitionToneReceived, carrying
        `operation_context`). Raises ProviderError, ValueError."""
        self._continuous("start", call_id, target, operation_context)

    def stop_continuous_dtmf(self, call_id: str, *, target: str, operation_context: str) -> None:
        """Stop reporting `target`'s keys. Raises ProviderError, ValueError."""
        self._continuous("stop", call_id, target, operation_context)

    def _continuous(self, verb: str, call_id: str, target: str, operation_context: str) -> None:
        body = {
            "targetParticipant": wire_ga.identifier(target),
            "operationContext": non_empty("operation_context", operation_context),
        }
        path = wire_ga.connection_path(call_id, f":{verb}ContinuousDtmfRecognition")
        self._send(f"{verb}_continuous_dtmf", "POST", path, body)

    def get_call(self, call_id: str) -> CallInfo:
        """The call's CallConnectionProperties. Raises ProviderError, ValueError."""
        response = self._send("get_call", "GET", wire_ga.connection_path(call_id))
        body = json_object(response)
        found = body.get("callconnectionid")
        state = body.get("callconnectionstate")
        return CallInfo(
            call_id=found if isinstance(found, str) and found else call_id,
            state=state.lower() if isinstance(state, str) and state else "unknown",
            server_call_id=_string(body.get("servercallid")),
            correlation_id=_string(body.get("correlationid")),
        )

    def list_participants(self, call_id: str) -> tuple[ParticipantInfo, ...]:
        """Everyone on the call, following `nextLink` (same host only). Raises ProviderError
        (ProviderProtocolError for a body that is not a participant list), ValueError."""
        path = wire_ga.connection_path(call_id, "/participants")
        found: list[ParticipantInfo] = []
        for _ in range(MAX_PAGES):
            response = self._send("list_participants", "GET", path)
            try:
                page, next_link = wire_ga.participants_page(response.json())
                if not next_link:
                    return (*found, *page)
                path = wire_ga.same_host_path(next_link, self._http.endpoint)
            except ValueError as exc:  # not JSON, not a participant list, or another host
                status = response.status_code
                raise ProviderProtocolError("list_participants", str(exc), status=status) from None
            found.extend(page)
        raise ProviderProtocolError("list_participants", f"more than {MAX_PAGES} pages")

    def _repeatability(
        self, request_id: uuid.UUID | None, first_sent: datetime | None
    ) -> dict[str, str]:
        return wire_ga.repeatability(request_id, first_sent, now=self._http.clock())

    def _post_repeatable(
        self,
        operation: str,
        call_id: str,
        verb: str,
        body: dict[str, Any] | None,
        request_id: uuid.UUID | None,
        first_sent: datetime | None,
    ) -> None:
        """POST `verb` on the call with its repeatability pair (a fresh one if none is given,
        resent on every retry of this request)."""
        path = wire_ga.connection_path(call_id, verb)
        self._send(operation, "POST", path, body, self._repeatability(request_id, first_sent))

    def _send(
        self,
        operation: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self._http.request(
            operation, method, path, retry_if=transient, body=body, headers=headers
        )


def _accepted(operation_context: str) -> MediaOperation:
    # GA answers 202 with no body: the events tell the rest.
    return MediaOperation(
        operation_id=None, status=OperationStatus.UNKNOWN, operation_context=operation_context
    )


def _with_context(body: dict[str, Any], operation_context: str | None) -> dict[str, Any]:
    if operation_context is not None:
        body["operationContext"] = non_empty("operation_context", operation_context)
    return body


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
