"""The neutral operations the calls services use, whatever API version is on the wire.

Both dialect clients satisfy ProviderClient: calls.client (the 2021 preview) and
calls.client_ga (the GA API); calls.provider builds the one ACS_API_VERSION names. Identifiers
are the app's raw strings ("+E164" or "8:..."); a `participant_id` is the one a roster entry
(ParticipantsUpdated, list_participants) names.

Every method raises ProviderError subclasses for provider and network failures, ValueError
(InvalidIdentifier among them) for bad arguments before sending anything, and
NotSupportedByDialect for what the API version in use cannot do (nothing is sent then).

Repeatability: `request_id` and `first_sent` go out as Repeatability-Request-ID/-First-Sent
where the dialect has them. Persist them before the first try and pass the same pair on any
later try, so the provider can tell a repeat from a new request; leave them out and the
client makes a fresh pair for this call (reused across its own retries only).
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from calls.provider_types import CallInfo, CallLeg, MediaOperation, ParticipantInfo, PlaySource


class ProviderClient(Protocol):
    def close(self) -> None: ...

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
        """Dial `targets` from `caller_id` (GA: sourceCallerIdNumber); events go to
        `callback_url`. The subscriptions and `subject` matter to the 2021 preview only."""
        ...

    def hang_up(self, call_id: str) -> None:
        """The app leaves the call (a 1:1 call ends)."""
        ...

    def terminate_call(
        self,
        call_id: str,
        *,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """End the call for everyone on it."""
        ...

    def play_audio(
        self,
        call_id: str,
        *,
        audio_url: str,
        loop: bool,
        operation_context: str,
        audio_id: str | None = None,
    ) -> MediaOperation:
        """Play a WAV file to everyone: `play` with a FileSource(audio_url, audio_id)."""
        ...

    def play(
        self,
        call_id: str,
        *,
        source: PlaySource,
        to: Sequence[str] = (),
        loop: bool = False,
        operation_context: str,
    ) -> MediaOperation:
        """Play `source` to the participants `to` (empty: to everyone); the result events carry
        `operation_context`."""
        ...

    def cancel_media(self, call_id: str, *, operation_context: str) -> MediaOperation:
        """Stop any playing or queued media (and recognition); each stopped play reports a
        CANCELLED PlayResult."""
        ...

    def invite_participants(
        self,
        call_id: str,
        *,
        targets: Sequence[str],
        operation_context: str,
        caller_id: str | None = None,
    ) -> None:
        """Ring more people into the call (one add_participant each on GA)."""
        ...

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
        """Ring one person into the call for up to `invitation_timeout` seconds (0-180); the
        outcome arrives as an InviteResult event."""
        ...

    def remove_participant(
        self,
        call_id: str,
        participant_id: str,
        *,
        operation_context: str | None = None,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """Drop one participant from the call."""
        ...

    def mute_participant(
        self,
        call_id: str,
        participant_id: str,
        *,
        operation_context: str | None = None,
        request_id: uuid.UUID | None = None,
        first_sent: datetime | None = None,
    ) -> None:
        """Mute one participant (GA: ACS users only)."""
        ...

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
        """Play `prompt` to `target` and collect up to `max_tones` keys ("0"-"9", "*", "#",
        "A"-"D"); the result arrives as a RecognizeResult event."""
        ...

    def start_continuous_dtmf(self, call_id: str, *, target: str, operation_context: str) -> None:
        """Report every key `target` presses, as ToneReceived events naming them."""
        ...

    def stop_continuous_dtmf(self, call_id: str, *, target: str, operation_context: str) -> None:
        """Stop reporting `target`'s keys."""
        ...

    def get_call(self, call_id: str) -> CallInfo:
        """The call as the provider sees it now."""
        ...

    def list_participants(self, call_id: str) -> tuple[ParticipantInfo, ...]:
        """Who is on the call now (every page)."""
        ...
