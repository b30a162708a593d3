"""The calls app's Prometheus metrics, each counted where its event happens (README
"Operability"): placing a call (calls.services.placing.place_call) and taking a provider
callback in (calls.services.ingest.ingest_callback)."""

from enum import StrEnum

from prometheus_client import Counter


class PlacingOutcome(StrEnum):
    PLACED = "placed"  # the provider accepted the create-call
    REFUSED = "refused"  # it answered no (4xx): sending the same again would not help
    UNAVAILABLE = "unavailable"  # a 5xx, a timeout, no connection: it may have been placed
    INVALID = "invalid"  # a target the provider cannot dial: nothing was sent


CALLS_PLACED = Counter(
    "incident_reporter_calls_placed",
    "Create-call requests sent to the provider (or refused before sending), by outcome.",
    ["outcome"],
)
for _outcome in PlacingOutcome:
    CALLS_PLACED.labels(outcome=_outcome.value)  # every outcome shows, at 0 until it happens

CALLBACKS_INGESTED = Counter(
    "incident_reporter_callbacks_ingested",
    "Provider callbacks accepted and stored (a redelivery counts again, stored once).",
)
CALLBACKS_REJECTED = Counter(
    "incident_reporter_callbacks_rejected",
    "Provider callbacks refused, by the error code they were answered with.",
    ["reason"],
)
