"""The unit of work for applying one call's stored events (calls.services.applying)."""

from calls.models import Call, Participant, ParticipantState
from calls.services.announcements import announce
from calls.services.welcome import RunAside
from incidents.models import TimelineKind


class CallBatch:
    """A batch of one call's events, applied together. The call's participants are read (and
    locked) once, and each row the events change is written once when the batch ends: a burst
    of key presses costs one UPDATE, not one per press. (start_ringing, shared with the other
    services, writes the phones it starts ringing at once.)"""

    def __init__(self, call: Call, run_aside: RunAside) -> None:
        self.call = call
        self.run_aside = run_aside  # where provider requests after the commit run
        # On a call-out's call the call-out's keypad map says which key acknowledges, and only
        # the first answer counts (callouts.services.keypad), not "1" as on other calls.
        self.keypad_decides = False
        self._by_identifier: dict[str, Participant] | None = None
        self._changed: dict[Call | Participant, set[str]] = {}

    def by_identifier(self) -> dict[str, Participant]:
        if self._by_identifier is None:
            participants = self.call.participants.select_for_update(
                no_key=True, of=("self",)
            ).select_related("contact")
            self._by_identifier = {p.identifier: p for p in participants}
        return self._by_identifier

    def in_state(self, *states: ParticipantState) -> list[Participant]:
        return [p for p in self.by_identifier().values() if p.state in states]

    def add(self, identifier: str, *, uninvited: bool = False) -> Participant:
        participant = Participant.objects.create(
            call=self.call, identifier=identifier, uninvited=uninvited
        )
        self.by_identifier()[identifier] = participant
        return participant

    def save(self, row: Call | Participant, *fields: str) -> None:
        """Write these fields of `row` (and its updated_at) when the batch ends."""
        self._changed.setdefault(row, set()).update(fields)

    def save_and_announce(
        self,
        row: Call | Participant,
        *fields: str,
        says: str = "",
        kind: TimelineKind | None = None,
    ) -> None:
        """Save these fields of `row` when the batch ends, as save does, and announce it now
        (calls.services.announcements; the broadcast goes out after commit)."""
        self.save(row, *fields)
        announce(row, says, kind=kind)

    def write_changes(self) -> None:
        for row, fields in self._changed.items():
            row.save(update_fields=[*sorted(fields), "updated_at"])
