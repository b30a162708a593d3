"""What can be done to a call or a participant now, and how a person's attempt turned out.

The one place these rules live: the services guard their transitions with them, and the
dashboard's payloads carry them as flags (`can_retry`, `can_remove`...), so the page never
decides from states itself and never offers a control the service would refuse.
Whether the incident is still open is the incident's own flag (`is_open`), checked on top.
"""

from calls.models import Call, CallMode, CallState, MediaState, Participant, ParticipantState

# States a person can be rung again from: their last attempt is over.
OVER = (ParticipantState.LEFT, ParticipantState.FAILED, ParticipantState.REMOVED)
# States in which someone is waiting for their phone to be answered.
WAITING = (ParticipantState.INVITED, ParticipantState.RINGING)


def is_connected(call: Call) -> bool:
    """The provider accepts mid-call actions (invite, remove, play) only once it is established."""
    return bool(call.provider_call_id) and call.state == CallState.ESTABLISHED


def can_retry(call: Call) -> bool:
    """Only a call the provider refused is placed again (with the same people)."""
    return call.state == CallState.FAILED


def can_hang_up(call: Call) -> bool:
    return bool(call.provider_call_id) and call.is_live


def can_redial(call: Call) -> bool:
    """A call that ended can ring its people again, as a new call."""
    return call.state == CallState.TERMINATED


def can_stop_audio(call: Call) -> bool:
    return is_connected(call) and call.media_state == MediaState.PLAYING


def can_remove(participant: Participant) -> bool:
    """Someone on the call, or ringing on a call of their own (hanging it up stops the ringing).

    The preview API removes people by the id its roster gives them, so a person still ringing
    into a bridge call, who has no id yet, cannot be removed.
    """
    call = participant.call
    if participant.state == ParticipantState.JOINED:
        return is_connected(call) and bool(participant.provider_participant_id)
    return participant.state in WAITING and call.mode == CallMode.BROADCAST and can_hang_up(call)


def can_ring_again(participant: Participant) -> bool:
    """Someone whose attempt is over, on a call whose people can be rung again."""
    return participant.state in OVER and can_ring_people_again(participant.call)


def can_ring_people_again(call: Call) -> bool:
    """Invited back into the call while it runs, or rung on a new call once it has ended."""
    return is_connected(call) or can_redial(call)


def tally(participant: Participant) -> list[str]:
    """The summary counts this person's latest attempt adds to.

    Only a key press makes someone `acknowledged` (reached): joining alone does not prove
    anyone listened. Someone whose attempt is over without one is `not_reached`.
    """
    state = participant.state
    if state in WAITING and participant.call.state != CallState.FAILED:
        where = ["ringing"]
    elif state == ParticipantState.JOINED:
        where = ["joined"]
    else:
        where = ["left"] if participant.joined_at is not None else []
        if not participant.acknowledged:
            where.append("not_reached")
    return [*where, "acknowledged"] if participant.acknowledged else where
