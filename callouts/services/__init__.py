"""Every change to a call-out goes through these functions (split by concern below)."""

# TEMPORARY (branch i10-api): interim stands in for branch i10-flow's real services.
from callouts.services.interim import ring_recipient_again, stop_callout
from callouts.services.starting import start_callout

__all__ = ["ring_recipient_again", "start_callout", "stop_callout"]
