"""Every change to a call-out goes through these functions (split by concern below)."""

from callouts.services.starting import start_callout

__all__ = ["start_callout"]
