"""Telling an incident's people that one of its calls changed.

Every change to a call or a participant is broadcast to the incident's dashboards (after
commit, incidents.events); most also add the line that says what happened to the incident's
timeline. These functions are that pairing, so the calls services only say what changed.

They are also the one place that keeps a quiet call quiet (Call.quiet: a call-out's attempt).
Its call-out's own events (callouts.events) and its outcome lines (callouts.services.settling,
keypad) say what the page and the timeline show of it; announcing each of its changes as well
would add, at 10,000 recipients, tens of thousands of events the page drops and of lines
nobody reads, each taking the incident's row lock for its sequence number. Only its errors
reach the timeline. Every provider event of it is still stored (CallEvent), and the call and
its participant still move: the admin site and the API's call data show them. A create-call
the provider refused is not told either: its attempt is sent again (a transient failure) or
settled as failed, whose line gives the provider's reason.
"""

from django.contrib.auth.models import User

from calls.models import Call, Participant
from incidents.events import broadcast_call, broadcast_participant
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry


def announce(
    row: Call | Participant,
    says: str = "",
    *,
    kind: TimelineKind | None = None,
    actor: User | None = None,
) -> None:
    """Broadcast `row`'s new state and, with `says`, add that line to the timeline (a call's
    line is of kind CALL and a participant's of kind PARTICIPANT unless `kind` says otherwise);
    on a quiet call, only a line of kind ERROR (see the module).
    """
    call = row if isinstance(row, Call) else row.call
    if not call.quiet:
        if isinstance(row, Call):
            broadcast_call(row)
        else:
            broadcast_participant(row)
    if says:
        default_kind = TimelineKind.CALL if isinstance(row, Call) else TimelineKind.PARTICIPANT
        tell(call, says, kind=kind or default_kind, actor=actor)


def tell(
    call: Call,
    says: str,
    *,
    kind: TimelineKind,
    actor: User | None = None,
    outcome: bool = False,
) -> None:
    """Add `says` about `call` to its incident's timeline, unless the call is quiet and the
    line is not an error (see the module), or is the error that is its `outcome` (the
    provider refused to place it), which its attempt's line tells once settled."""
    if call.quiet and (kind != TimelineKind.ERROR or outcome):
        return
    add_timeline_entry(incident_id=call.incident_id, kind=kind, text=says, actor=actor)


def save_and_announce(
    row: Call | Participant,
    *fields: str,
    says: str = "",
    kind: TimelineKind | None = None,
    actor: User | None = None,
) -> None:
    """Write these fields of `row` (and its updated_at), then announce it (see announce)."""
    row.save(update_fields=[*fields, "updated_at"])
    announce(row, says, kind=kind, actor=actor)
