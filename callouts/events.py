"""What a call-out's dashboards hear (over the incident's channel, after commit):

- "callout": {"state", "stop_reason", "total", "counts": {status: n}, "estimated_completion",
  "can_stop"}
- "recipient": one row of the recipient table, as recipient_payload gives it: the API's
  RecipientOutput (`GET /api/incidents/{id}/recipients/`), so both say the same, and
  "can_ring_again".

The `can_*` flags come from callouts.controls: the page shows a control only when it is set.

Payloads hold JSON primitives only (the Redis layer serialises with msgpack).
"""

from typing import Any

from callouts import controls
from callouts.models import Callout, Recipient
from callouts.selectors import callout_progress
from callouts.serializers import RecipientOutput
from incidents.events import broadcast_incident_event


def callout_payload(callout: Callout) -> dict[str, Any]:
    progress = callout_progress(callout)
    estimate = progress.estimated_completion
    return {
        "state": callout.state,
        "stop_reason": callout.stop_reason,
        "total": progress.total,
        "counts": progress.counts,
        "estimated_completion": estimate.isoformat() if estimate else None,
        "can_stop": controls.can_stop(callout),
    }


def recipient_payload(recipient: Recipient) -> dict[str, Any]:
    """Give it with its attempts prefetched or fetched: they are all listed."""
    return {**RecipientOutput(recipient).data, "can_ring_again": controls.can_ring_again(recipient)}


def broadcast_callout(callout: Callout) -> None:
    """Queue the call-out's counts for its incident's dashboards (sent after commit)."""
    broadcast_incident_event(
        incident_id=callout.incident_id, kind="callout", data=callout_payload(callout)
    )


def broadcast_recipient(recipient: Recipient) -> None:
    """Queue one recipient's row for its incident's dashboards (sent after commit)."""
    broadcast_incident_event(
        incident_id=recipient.callout.incident_id,
        kind="recipient",
        data=recipient_payload(recipient),
    )
