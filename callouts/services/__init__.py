"""Every change to a call-out goes through these functions (split by concern below)."""

from callouts.services.again import ring_recipient_again
from callouts.services.starting import Schedule, start_callout
from callouts.services.stopping import StoppedCallout, stop_callout, stop_callout_of_incident

__all__ = [
    "Schedule",
    "StoppedCallout",
    "ring_recipient_again",
    "start_callout",
    "stop_callout",
    "stop_callout_of_incident",
]
