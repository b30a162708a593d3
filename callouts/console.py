"""The incident page's view of a call-out: its counts and one page of its recipient table.

Part of the incident snapshot (incidents.selectors.incident_snapshot), which the page embeds
when it renders and the consumer sends on every (re)connect and resync, for the page of the
table the page shows. JSON primitives only, in a constant number of queries whatever the
number of recipients: the counts, the estimate's two aggregates, and a page of rows with
their attempts.
"""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator

from callouts.events import callout_payload, recipient_payload
from callouts.models import Callout, CalloutState, Outcome, RecipientStatus, StopReason
from callouts.selectors import recipients_of

RECIPIENTS_PER_PAGE = 50
# The progress bar's segments and their legend, left to right: the settled, then the rest.
BAR_STATUSES = [
    (status.value, status.label)
    for status in (
        RecipientStatus.ACKNOWLEDGED,
        RecipientStatus.DECLINED,
        RecipientStatus.NOT_REACHED,
        RecipientStatus.FAILED,
        RecipientStatus.STOPPED,
        RecipientStatus.DIALLING,
        RecipientStatus.PENDING,
    )
]
# The words the page's script shows for the values in the payloads.
CALLOUT_LABELS = {
    "state": dict(CalloutState.choices),
    "stop_reason": dict(StopReason.choices),
    "status": dict(RecipientStatus.choices),
    "outcome": dict(Outcome.choices),
}


@dataclass(frozen=True)
class RecipientPage:
    """Which page of the recipient table to show: `status` "" for everyone."""

    status: str = ""
    number: int = 1

    def __post_init__(self) -> None:
        if self.status and self.status not in RecipientStatus.values:
            raise ValueError(f"Unknown recipient status {self.status!r}.")


def callout_console(incident_id: int, page: RecipientPage) -> dict[str, Any]:
    """{"callout": counts or None, "recipients": the page of rows or None} for the incident."""
    callout = Callout.objects.filter(incident_id=incident_id).first()
    if callout is None:
        return {"callout": None, "recipients": None}
    return {"callout": callout_payload(callout), "recipients": recipient_rows(callout, page)}


def recipient_rows(callout: Callout, page: RecipientPage) -> dict[str, Any]:
    """One page of the table; a page past the end gives the last page (`asked` says which was
    asked for)."""
    paginator = Paginator(recipients_of(callout, status=page.status or None), RECIPIENTS_PER_PAGE)
    shown = paginator.get_page(page.number)
    return {
        "status": page.status,
        "asked": page.number,
        "page": shown.number,
        "num_pages": paginator.num_pages,
        "count": paginator.count,
        "first": shown.start_index(),
        "last": shown.end_index(),
        "rows": [recipient_payload(r) for r in shown.object_list],
    }
