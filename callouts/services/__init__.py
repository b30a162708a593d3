"""Every change to a call-out goes through these functions (split by concern below)."""

# TEMPORARY (i10-ui): i10-flow's stop_callout and ring_recipient_again replace these.
from callouts.services.operator_stub import ring_recipient_again, stop_callout
from callouts.services.starting import start_callout

__all__ = ["ring_recipient_again", "start_callout", "stop_callout"]
