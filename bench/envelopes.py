"""Callback bodies as the provider sends them: a JSON array holding one Event Grid envelope.

Every body the benchmarks send is distinct (the app deduplicates on a digest of the envelope,
so a repeated body would be a cheap no-op, not an ingest).
"""

import json
from datetime import UTC, datetime
from typing import Any

LEG = "0b5e0000-1111-2222-3333-444455556666"
JOINED_NUMBER = "+14255550101"  # on the call throughout: the key presses are theirs
TOGGLED_NUMBER = "+14255550102"  # joins and leaves, one roster snapshot at a time

# Placeholders in the templates handed to wrk's Lua script (bench/callback.lua).
SEQ_MARK = 999_999_999
TIME_MARK = "@TIME@"


def event_time(moment: datetime) -> str:
    """The provider's spelling: seven fractional digits and a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _envelope(kind: str, event_type: str, data: dict[str, Any], at: str) -> dict[str, Any]:
    return {
        "id": None,
        "topic": None,
        "subject": f"callLeg/{LEG}/{kind}",
        "eventType": f"Microsoft.Communication.{event_type}",
        "eventTime": at,
        "data": {"CallLegId": LEG, **data},
        "metadataVersion": None,
        "dataVersion": None,
    }


def tone_body(sequence_id: int, at: str, tone: str = "Tone2") -> str:
    info = {"SequenceId": sequence_id, "Tone": tone}
    return json.dumps([_envelope("dtmf", "DtmfReceived", {"ToneInfo": info}, at)])


def roster_body(numbers: list[str], at: str) -> str:
    people = [
        {
            "Identifier": {"RawId": "4:" + n, "PhoneNumber": {"Value": n}},
            "ParticipantId": f"pid-{n}",
            "IsMuted": False,
        }
        for n in numbers
    ]
    return json.dumps(
        [_envelope("participantsUpdated", "ParticipantsUpdated", {"Participants": people}, at)]
    )


def ingest_templates() -> list[str]:
    """The steady-state mix for the ingest benchmark: three key presses, one roster snapshot.

    The snapshot lists the same person each time, so it is applied (newest wins) but changes
    nobody; each key press updates that person and appends to the timeline.
    """
    templates = [tone_body(SEQ_MARK, TIME_MARK, tone) for tone in ("Tone2", "Tone3", "Tone4")] + [
        roster_body([JOINED_NUMBER], TIME_MARK)
    ]
    return [t.replace(str(SEQ_MARK), "@SEQ@") for t in templates]
