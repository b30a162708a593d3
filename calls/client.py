"""The 2021 preview dialect of the call provider's client (calls.provider_interface).

It speaks `/calling/calls`, api-version 2021-04-15-preview1 (reference:
shared/reference/acs-call-automation.md, sections 1 and 2), over calls.provider_http's signed,
retried exchange. Its operations, results and errors are dialect-neutral; what the preview
cannot do (mute, recognize, stopping continuous DTMF, get/list, text prompts, playing to one
person) raises NotSupportedByDialect before anything is sent; starting continuous DTMF does
nothing (the preview reports every key from the start).

Identifiers are the app's raw strings: "+E164" for phone numbers and "8:..." for ACS users.
"""

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NoReturn

import httpx

from calls import signing
from calls.dialects import PREVIEW_VERSION
from calls.provider_http import HmacAuth as HmacAuth  # re-exported: the tests sign with it
from calls.provider_http import SignedClient, SignedHttp, json_object, utc_now
from calls.provider_types import (
    CallInfo,
    CallLeg,
    FileSource,
    MediaOperation,
    NotSupportedByDialect,
    OperationStatus,
    ParticipantInfo,
    PlaySource,
    ProviderProtocolError,
    TextSourceNotSupported,
)
from calls.retry_policy import DEFAULT_RETRY, RetryPolicy, never_arrived, transient
from calls.wire import call_path, non_empty, wire_identifier, wire_phone_number, wire_targets

API_VERSION = PREVIEW_VERSION


# --- The client ----------------------------------------------------------------------------


class CallAutomationClient(SignedClient):
    """Synchronous client for one provider resource; close it, or use it as a context manager.

    Every method raises ProviderError subclasses for provider and network failures, and
    ValueError (InvalidIdentifier among them) for bad arguments, before sending anything; what
    the preview cannot do raises NotSupportedByDialect.
    """

    def __init__(
        self,
        connection_string: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._http = SignedHttp(
            connection_string,
            api_version=API_VERSION,
            transport=transport,
            timeout=timeout,
            connect_timeout=connect_timeout,
            retry=retry,
            sleep=sleep,
            clock=clock,
        )
        self._request = self._http.request

    # Retry choices, per operation:
    # - create_call: every transient failure. Safe only because each attempt carries the
    #   caller's Repeatability-Request-ID/-First-Sent, so the provider dials at most once. (The
    #   emulator and today's ACS honour them; the 2021 preview documentation never mentions them.)
    # - hang_up, cancel_media, remove_participant: every transient failure. Repeating them is
    #   harmless (a repeat of one that took effect answers 404), and giving up leaves a phone
    #   ringing or a prompt looping.
    # - play_audio: every transient failure. The worst a repeat does is queue the prompt twice
    #   (results carry our operation context either way); not retrying leaves the call silent.
    # - invite_participants: only when the request certainly never arrived (no connection, or
    #   429). A repeat of an invite that took effect rings the person a second time; the
    #   InviteResult event settles the rest.
    # - add_participant with a repeatability pair: every transient failure, as create_call (the
    #   emulator honours the pair on invitations too; the preview documentation never mentions
    #   it). Without a pair, as invite_participants.

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
        """Dial `targets`; events go to `callback_url`. Persist `request_id` and `first_sent`
        before the first try and pass the same values and arguments on any later try, so the
        provider can tell a repeat from a new call; repeats are only recognised for about five
        minutes after `first_sent` (later ones are refused). Raises ProviderError, ValueError."""
        if not callback_url.startswith(("https://", "http://")):
            raise ValueError("callback_url must be an absolute http(s) URL.")
        events = [
            ("participantsUpdated", subscribe_participants),
            ("dtmfReceived", subscribe_tones),
        ]
        body: dict[str, Any] = {
            "source": wire_identifier(source),
            "targets": wire_targets(targets),
            "subject": subject,
            "callbackUri": callback_url,
            "requestedModalities": ["audio"],
            "requestedCallEvents": [name for name, wanted in events if wanted],
        }
        if caller_id is not None:
            body["alternateCallerId"] = wire_phone_number(caller_id)
        headers = {
            "Repeatability-Request-ID": str(request_id),
            "Repeatability-First-Sent": signing.http_date(first_sent),
        }
        response = self._request(
            "create_call", "POST", "/calling/calls", body=body, headers=headers, retry_if=transient
        )
        call_id = json_object(response).get("calllegid")
        if not isinstance(call_id, str) or not call_id:
            raise ProviderProtocolError(
                "create_call", "success without a callLegId", status=response.status_code
            )
        return CallLeg(call_id=call_id)

    def hang_up(self, call_id: str) -> None:
        """Hang up the app's call leg. Raises ProviderError (ProviderNotFound once it is gone)."""
        self._request("hang_up", "POST", call_path(call_id, "Hangup"), retry_if=transient)

    def play_audio(
        self,
        call_id: str,
        *,
        audio_url: str,
        loop: bool,
        operation_context: str,
        audio_id: str | None = None,
    ) -> MediaOperation:
        """Play a WAV file to the call; the result arrives as a PlayResult event carrying
        `operation_context`. `audio_id` lets the provider cache the file: change it whenever the
        content at `audio_url` changes. Raises ProviderError, ValueError."""
        body: dict[str, Any] = {
            "audioFileUri": audio_url,
            "loop": loop,
            "operationContext": non_empty("operation_context", operation_context),
        }
        if audio_id is not None:
            body["resourceId"] = audio_id
        response = self._request(
            "play_audio", "POST", call_path(call_id, "PlayAudio"), body=body, retry_if=transient
        )
        return _media_operation(response, operation_context)

    def cancel_media(self, call_id: str, *, operation_context: str) -> MediaOperation:
        """Stop any playing or queued media; a stopped play reports PlayResult CANCELLED.
        Raises ProviderError, ValueError."""
        body = {"operationContext": non_empty("operation_context", operation_context)}
        path = call_path(call_id, "CancelMediaProcessing")
        response = self._request("cancel_media", "POST", path, body=body, retry_if=transient)
        return _media_operation(response, operation_context)

    def invite_participants(
        self,
        call_id: str,
        *,
        targets: Sequence[str],
        operation_context: str,
        caller_id: str | None = None,
    ) -> None:
        """Ring more people into the call; the outcome arrives as an InviteResult event. A
        ProviderUnavailable that is not ProviderUnreachable means the invite may have gone out.
        Raises ProviderError, ValueError."""
        body = _invite_body(targets, operation_context, caller_id)
        path = call_path(call_id, "participants")
        self._request("invite_participants", "POST", path, body=body, retry_if=never_arrived)

    def remove_participant(
        self,
        call_id: str,
        participant_id: str,
        *,
        operation_context: str | None = None,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """Drop one participant (the id from a ParticipantsUpdated roster); the preview takes
        no context or repeatability headers here. Raises ProviderError, ValueError."""
        path = call_path(call_id, "participants", non_empty("participant_id", participant_id))
        self._request("remove_participant", "DELETE", path, retry_if=transient)

    def play(
        self,
        call_id: str,
        *,
        source: PlaySource,
        to: Sequence[str] = (),
        loop: bool = False,
        operation_context: str,
    ) -> MediaOperation:
        """A file to everyone, as play_audio. Raises TextSourceNotSupported for a text source,
        NotSupportedByDialect for `to`, ProviderError, ValueError."""
        if not isinstance(source, FileSource):
            raise TextSourceNotSupported("play", API_VERSION, "Text-to-speech is")
        if to:
            _unsupported("play", "Playing to some participants only is")
        return self.play_audio(
            call_id,
            audio_url=source.url,
            loop=loop,
            operation_context=operation_context,
            audio_id=source.cache_id,
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
        """Invite one person (invite_participants), with `request_id`/`first_sent` as
        Repeatability headers if given (see create_call); the preview has no ring timeout, so
        `invitation_timeout` is not sent. Raises ProviderError, ValueError."""
        if request_id is None and first_sent is None:
            self.invite_participants(
                call_id, targets=[target], operation_context=operation_context, caller_id=caller_id
            )
            return
        if request_id is None or first_sent is None:
            raise ValueError("Pass request_id and first_sent together, or neither.")
        body = _invite_body([target], operation_context, caller_id)
        headers = {
            "Repeatability-Request-ID": str(request_id),
            "Repeatability-First-Sent": signing.http_date(first_sent),
        }
        path = call_path(call_id, "participants")
        self._request(
            "add_participant", "POST", path, body=body, headers=headers, retry_if=transient
        )

    # What the preview has no operation for: refused before anything is sent.

    def terminate_call(
        self,
        call_id: str,
        *,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """End the call for everyone: on the preview that is its hang-up (one Hangup ends a
        preview call for all; it takes no repeatability headers). Raises ProviderError."""
        self.hang_up(call_id)

    def mute_participant(
        self,
        call_id: str,
        participant_id: str,
        *,
        operation_context: str | None = None,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """Raises NotSupportedByDialect."""
        _unsupported("mute_participant")

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
        """Raises NotSupportedByDialect (the preview reports every key as a ToneReceived)."""
        _unsupported("recognize_dtmf")

    def start_continuous_dtmf(self, call_id: str, *, target: str, operation_context: str) -> None:
        """Does nothing, on purpose: the preview reports every key on the call from the start
        (create_call's subscribe_tones), so there is nothing to start; sends nothing."""

    def stop_continuous_dtmf(self, call_id: str, *, target: str, operation_context: str) -> None:
        """Raises NotSupportedByDialect."""
        _unsupported("stop_continuous_dtmf")

    def get_call(self, call_id: str) -> CallInfo:
        """Raises NotSupportedByDialect."""
        _unsupported("get_call")

    def list_participants(self, call_id: str) -> tuple[ParticipantInfo, ...]:
        """Raises NotSupportedByDialect (the roster comes in ParticipantsUpdated events)."""
        _unsupported("list_participants")


def _invite_body(
    targets: Sequence[str], operation_context: str, caller_id: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "participants": wire_targets(targets),
        "operationContext": non_empty("operation_context", operation_context),
    }
    if caller_id is not None:
        body["alternateCallerId"] = wire_phone_number(caller_id)
    return body


def _unsupported(operation: str, what: str = "") -> NoReturn:
    raise NotSupportedByDialect(operation, API_VERSION, what)


_WIRE_STATUSES = {
    "notstarted": OperationStatus.NOT_STARTED,
    "running": OperationStatus.RUNNING,
    "completed": OperationStatus.COMPLETED,
    "failed": OperationStatus.FAILED,
}


def _media_operation(response: httpx.Response, sent_context: str) -> MediaOperation:
    # Lenient: the request was accepted, so an odd body must not make the caller think it failed.
    body = json_object(response)
    operation_id = body.get("id", body.get("operationid"))  # renamed in late 2021
    status = body.get("status")
    context = body.get("operationcontext")
    if isinstance(status, str):
        status = _WIRE_STATUSES.get(status.lower(), OperationStatus.UNKNOWN)
    return MediaOperation(
        operation_id=operation_id if isinstance(operation_id, str) else None,
        status=status if isinstance(status, OperationStatus) else OperationStatus.UNKNOWN,
        operation_context=context if isinstance(context, str) and context else sent_context,
    )
