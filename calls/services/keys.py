"""Hearing keys: once a participant joins, ask the provider to report every key they press.

On GA, continuous DTMF recognition is started per participant, and its ToneReceived events
name who pressed; the 2021 preview reports every key on the call from the start (the client's
start_continuous_dtmf does nothing there), so the services need not know which is in use.
The request is made after the apply that saw the person join has committed, through
`run_aside` (calls.services.welcome), and a refusal becomes a timeline line.
"""

from django.db import transaction

from calls.models import Call, Participant
from calls.provider import provider_client, provider_request
from calls.services.welcome import RunAside
from config.errors import DomainError
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry

KEYS_CONTEXT_PREFIX = "keys:"


def keys_context(participant: Participant) -> str:
    """The operation context of a participant's key recognition (its ToneReceived echo it)."""
    return f"{KEYS_CONTEXT_PREFIX}{participant.pk}"


def listen_for_keys_after_commit(
    call: Call, participant: Participant, *, provider_call_id: str, run_aside: RunAside
) -> None:
    """Once this transaction commits, have `run_aside` start reporting `participant`'s keys on
    the provider's call `provider_call_id` (the roster event's: it may beat the create-call
    response); a call already gone passes silently, any other refusal becomes a timeline line."""
    identifier, context, name = participant.identifier, keys_context(participant), str(participant)

    def listen() -> None:
        try:
            with provider_request(f"listen for {name}'s keys", gone_is_done=True):
                provider_client().start_continuous_dtmf(
                    provider_call_id, target=identifier, operation_context=context
                )
        except DomainError as exc:
            with transaction.atomic():
                add_timeline_entry(
                    incident_id=call.incident_id, kind=TimelineKind.ERROR, text=exc.message
                )

    transaction.on_commit(lambda: run_aside(listen))
