"""Taking provider callbacks in: verify each, store its events once, and have them applied.

The provider delivers at least once: a redelivered event (same digest) is stored once, and so
applied once (calls.services.applying). Storing is kept apart from applying so that the
provider gets its answer as soon as the events are committed.
"""

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.utils import timezone

from calls import callback_events as ev
from calls import callbacks as cb
from calls.callback_limits import event_type_for_column
from calls.callback_tokens import CallbackTokenError, SigningKeysUnavailable
from calls.errors import (
    BadCallbackToken,
    CallbackNotStored,
    EventForAnotherCall,
    MalformedCallback,
    UnknownCall,
    UnstorableCallback,
    WrongCallbackSecret,
)
from calls.metrics import CALLBACKS_INGESTED, CALLBACKS_REJECTED
from calls.models import Call, CallEvent
from calls.provider import callback_verifier, callbacks_are_signed
from calls.services.applying import apply_pending_events
from calls.services.write_queue import serialized_writes
from config.errors import DomainError
from config.request_ids import current_request_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """One callback request as it arrived: the call and the secret named in its URL, its body;
    the request's id and when it arrived, which its stored events keep (README "Operability")."""

    call_id: int
    secret: str
    body: bytes
    request_id: str = ""
    ingested_at: datetime | None = None


# What became of one callback: how many events it carried, or the error that refused it.
CallbackOutcome = int | DomainError
# Where the callback view hands each callback: store_and_apply below, or the process's
# callback pipeline (calls.background), which the ASGI wiring gives every HTTP request.
CallbackSink = Callable[[Delivery], CallbackOutcome]


def event_digest(call: Call, event: ev.AnyCallbackEvent) -> str:
    """What makes a stored event unique per call: its CloudEvent id (GA), else (2021, whose
    ids are mostly null) the whole envelope."""
    return hashlib.sha256(f"{call.pk}:{cb.dedupe_key(event)}".encode()).hexdigest()


def store_and_apply(delivery: Delivery) -> CallbackOutcome:
    """The sink where no server pipeline runs (the test client, management commands): store
    the callback, then apply its call's events, before the provider gets its answer."""
    (outcome,) = store_callbacks([delivery])
    if not isinstance(outcome, DomainError):
        apply_pending_events(call_ids=[delivery.call_id])
    return outcome


def ingest_callback(
    *,
    call_id: int,
    secret: str,
    body: bytes,
    authorization: str | None = None,
    sink: CallbackSink = store_and_apply,
) -> int:
    """Check a GA callback's `authorization` (its Bearer JWT), then hand the callback to `sink`
    to be verified, stored and applied; return how many events it carried.

    The callback view passes the sink its server gave the request: in a server process, that
    process's callback pipeline (calls.background), which stores it together with whatever
    else arrived meanwhile and applies it after the provider has its answer. Raises
    BadCallbackToken, UnknownCall, WrongCallbackSecret, MalformedCallback or
    EventForAnotherCall, and then stores nothing; CallbackNotStored when the provider's signing
    keys cannot be fetched, or from the pipeline (a database error, or no turn in time).
    """
    delivery = Delivery(
        call_id, secret, body, request_id=current_request_id(), ingested_at=timezone.now()
    )
    try:
        if callbacks_are_signed():
            _check_token(authorization)
        outcome = sink(delivery)
        if isinstance(outcome, DomainError):
            raise outcome
    except DomainError as refusal:
        CALLBACKS_REJECTED.labels(reason=refusal.code).inc()
        logger.warning(
            "Refused a callback for call %s: %s (%s)",
            call_id,
            refusal.code,
            refusal.message,
            extra={"call_id": call_id, "reason": refusal.code},
        )
        raise
    CALLBACKS_INGESTED.inc()
    # Logged here, on the request's thread, not on the pipeline's one thread that stores for
    # every request: a log line per callback there would hold up every answer.
    logger.info(
        "Stored %d events for call %s",
        outcome,
        call_id,
        extra={"call_id": call_id, "events": outcome},
    )
    return outcome


def _check_token(authorization: str | None) -> None:
    """Raises BadCallbackToken, or CallbackNotStored when no key can be fetched to check it."""
    try:
        callback_verifier().verify(authorization)
    except SigningKeysUnavailable as exc:
        raise CallbackNotStored(exc.message) from None
    except CallbackTokenError as exc:
        raise BadCallbackToken(exc.message, code=exc.code) from None


def store_callbacks(deliveries: Sequence[Delivery]) -> list[CallbackOutcome]:
    """Verify each callback and store the events of those that pass, in one INSERT.

    Returns, per delivery, how many events it carried or the error that refused it. Each event
    is stored once (by digest): a redelivery stores nothing and still counts as received.
    Should the database refuse the batch, each callback is stored on its own, so that only the
    one it refuses is refused (UnstorableCallback). Applying comes after, in arrival order
    (apply_pending_events), so a slow or failing apply never loses an accepted event.
    """
    calls = _calls_by_id({delivery.call_id for delivery in deliveries})
    outcomes: list[CallbackOutcome] = []
    rows: list[list[CallEvent]] = []
    for delivery in deliveries:
        try:
            call, events = _verify(delivery, calls.get(delivery.call_id))
        except DomainError as refusal:
            outcomes.append(refusal)
            rows.append([])
            continue
        outcomes.append(len(events))
        rows.append([_event_row(call, event, delivery) for event in events])
    try:
        _insert([row for own in rows for row in own])
    except (DatabaseError, ValueError) as exc:
        # Validation (calls.callback_limits) keeps this rare: a call deleted since it was read,
        # or something the database refuses that nobody foresaw.
        _raise_if_database_gone(exc)
        logger.warning("Storing %d callbacks together failed; storing each alone.", len(rows))
        return [
            outcome if isinstance(outcome, DomainError) or not own else _store_alone(own, outcome)
            for outcome, own in zip(outcomes, rows, strict=True)
        ]
    return outcomes


def _insert(rows: list[CallEvent]) -> None:
    # One transaction (a savepoint within one, in tests); the digest's unique index turns a
    # redelivery into a no-op.
    with serialized_writes(), transaction.atomic():
        CallEvent.objects.bulk_create(rows, ignore_conflicts=True)


def _store_alone(rows: list[CallEvent], outcome: CallbackOutcome) -> CallbackOutcome:
    """Store one callback's events on their own; what refused them if the database does."""
    try:
        _insert(rows)
    except IntegrityError:
        if not Call.objects.filter(pk=rows[0].call_id).exists():
            return UnknownCall("No such call.")
        return _unstorable(rows[0])  # a constraint (SQLite checks that JSON is valid)
    except (DataError, ValueError):
        return _unstorable(rows[0])
    except DatabaseError as exc:
        _raise_if_database_gone(exc)
        logger.exception("Could not store a callback for call %s.", rows[0].call_id)
        return CallbackNotStored("Could not store the callback; deliver it again.")
    return outcome


def _raise_if_database_gone(error: Exception) -> None:
    """Raise `error` again if the connection no longer works: then the caller (the callback
    pipeline) answers the whole batch 503 and opens a new connection, rather than failing
    each callback alone on a dead one."""
    if isinstance(error, DatabaseError) and not connection.is_usable():
        raise error


def _unstorable(row: CallEvent) -> UnstorableCallback:
    logger.warning("The database refused a callback for call %s.", row.call_id)
    return UnstorableCallback("The database cannot store this callback's events.")


def _event_row(call: Call, event: ev.AnyCallbackEvent, delivery: Delivery) -> CallEvent:
    return CallEvent(
        call=call,
        event_type=event_type_for_column(event.event_type),
        payload=event.raw,
        digest=event_digest(call, event),
        request_id=delivery.request_id,
        ingested_at=delivery.ingested_at,
    )


def _calls_by_id(ids: set[int]) -> dict[int, Call]:
    return Call.objects.only("pk", "callback_secret", "provider_call_id").in_bulk(ids)


def _verify(delivery: Delivery, call: Call | None) -> tuple[Call, tuple[ev.AnyCallbackEvent, ...]]:
    """The call and the parsed events of a callback we accept; raises why it is refused."""
    if call is None:
        raise UnknownCall("No such call.")
    # The secret in the URL: the only credential the preview offers, and kept beside GA's JWT.
    if not hmac.compare_digest(call.callback_secret.encode(), delivery.secret.encode()):
        raise WrongCallbackSecret("The callback secret is wrong.")
    try:
        events = cb.parse_callback(delivery.body)
    except cb.CallbackParseError as exc:
        raise MalformedCallback(exc.message, code=exc.code) from None
    for event in events:
        leg = getattr(event, "call_id", None)
        if leg and call.provider_call_id and leg != call.provider_call_id:
            raise EventForAnotherCall(f"The event is for call leg {leg}, not this call.")
    for event in events:
        if isinstance(event, ev.UnknownEvent):
            logger.warning("Accepted an event type we do not apply: %s", event.event_type)
    return call, events
