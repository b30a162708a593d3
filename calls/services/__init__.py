"""Every change to a call goes through these functions (split by concern below)."""

from calls.services.actions import (
    cancel_media,
    hang_up_call,
    play_prompt,
    remove_participant,
)
from calls.services.again import redial_call, ring_participant_again
from calls.services.applying import apply_pending_events
from calls.services.ingest import ingest_callback, store_callbacks
from calls.services.inviting import invite_to_call, resend_pending_invitations
from calls.services.placing import place_call, prepare_calls, retry_call
from calls.services.ringing import expire_unanswered

__all__ = [
    "apply_pending_events",
    "cancel_media",
    "expire_unanswered",
    "hang_up_call",
    "ingest_callback",
    "invite_to_call",
    "place_call",
    "play_prompt",
    "prepare_calls",
    "redial_call",
    "remove_participant",
    "resend_pending_invitations",
    "retry_call",
    "ring_participant_again",
    "store_callbacks",
]
