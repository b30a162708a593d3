"""What an operator can do to a call-out or one of its recipients now.

The one place these rules live, as calls.controls is for calls: the dashboard's payloads carry
them as flags (`can_stop`, `can_ring_again`), so the page never decides from states itself,
and the services refuse what these do not allow. Whether the incident is still open is the
incident's own flag (`is_open`), checked on top.
"""

from callouts.models import FINAL_RECIPIENT_STATUSES, Callout, Recipient


def can_stop(callout: Callout) -> bool:
    return callout.is_running


def can_ring_again(recipient: Recipient) -> bool:
    """Someone not waiting in line nor being called (their last attempt is over), while the
    call-out runs. Give it with its call-out loaded (a call-out's `recipients` are)."""
    return recipient.status in FINAL_RECIPIENT_STATUSES and recipient.callout.is_running
