"""What the simulated network tells an app, neutral of the API dialect that placed the call.

The switchboard moves calls and people; a reporter per dialect turns each move into that dialect's
callbacks (the 2021 Event Grid events in `events`, the GA CloudEvents in `ga_events`).
"""

from typing import Protocol

from acs_emulator.state import Call, Participant, ResultInfo


class Reporter(Protocol):
    def dialling(self, call: Call) -> None: ...
    def connected(self, call: Call) -> None: ...
    def roster_changed(self, call: Call) -> None: ...
    def invite_result(
        self, call: Call, invitee: Participant, failure: ResultInfo | None
    ) -> None: ...
    def removed(self, call: Call, participant: Participant) -> None: ...
    def tone(self, call: Call, participant: Participant, tone: str) -> None: ...
    def terminating(self, call: Call, failure: ResultInfo | None) -> None:
        """The call ends; `failure` says why when it never connected."""

    def terminated(self, call: Call) -> None: ...
