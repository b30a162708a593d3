"""Idempotent declarations: a retried `POST /api/incidents/` must not phone anyone twice.

A client sends `Idempotency-Key: <anything unique>`. The first request claims the key, runs,
and stores its answer; a repeat with the same key and body within a day gets that answer back.
Keys belong to one user (and so to one token), so clients cannot collide with each other.

A request can die (a killed server) between claiming and answering. The declaring transaction
links the claim to its incident (`link_idempotency_key`, through declare_incident's
`on_declared`), so a repeat of an unanswered claim knows what happened: linked, the incident
was declared and its detail is the answer; not linked after IDEMPOTENCY_GRACE_SECONDS, nothing
was, and the repeat takes the claim over and declares. A first request still alive when its
claim is taken over finds the claim gone when it links, and its declaration is undone, so a key
never declares twice however slow the first request is.
"""

import hashlib
import json
import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from incidents.errors import IdempotencyKeyReused, IdempotentRequestInFlight
from incidents.models import IdempotencyKey, Incident

KEY_LIFETIME = timedelta(hours=24)


def request_hash(data: Any) -> str:
    """A fingerprint of a request body that ignores key order and whitespace."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim_idempotency_key(*, user: User, key: str, body_hash: str) -> IdempotencyKey:
    """Reserve `key` for a new request (unlinked, unanswered: the caller declares), or return
    the earlier one: answered (`is_answered`, replay it) or linked to the incident it declared
    (`incident`, answer with its detail).

    Raises IdempotencyKeyReused when the key came with another body, and
    IdempotentRequestInFlight while the first request with it may still be running.
    """
    now = timezone.now()
    IdempotencyKey.objects.filter(created_at__lt=now - KEY_LIFETIME).delete()
    try:
        # Committed at once (the view runs outside a transaction), so a concurrent duplicate
        # trips the unique constraint and sees this row in flight.
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user, key=key, request_hash=body_hash, created_at=now
            )
    except IntegrityError:
        earlier = IdempotencyKey.objects.select_related("incident").get(user=user, key=key)
    if earlier.request_hash != body_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body; "
            "use a new key for a new incident."
        )
    if earlier.is_answered or earlier.incident is not None:
        return earlier
    return _take_over(earlier, now)


def _take_over(earlier: IdempotencyKey, now: datetime) -> IdempotencyKey:
    grace = timedelta(seconds=settings.IDEMPOTENCY_GRACE_SECONDS)
    # One UPDATE that checks the claim is unchanged: of two retries at once, one wins.
    if earlier.created_at <= now - grace and _unchanged(earlier).update(created_at=now):
        earlier.created_at = now
        return earlier
    wait = max(1, math.ceil((earlier.created_at + grace - now).total_seconds()))
    raise IdempotentRequestInFlight(
        "A request with this Idempotency-Key is still being processed; "
        f"retry after {wait} seconds.",
        retry_after=wait,
    )


def link_idempotency_key(*, claim: IdempotencyKey, incident: Incident) -> None:
    """Record that `claim`'s request declared `incident`; run it inside the declaring
    transaction. Raises IdempotentRequestInFlight (undoing the declaration) when a retry took
    the claim over meanwhile: that retry declares instead."""
    if not _unchanged(claim).update(incident=incident):
        raise IdempotentRequestInFlight(
            "A retry with this Idempotency-Key took it over while this request ran; "
            "that retry declares the incident."
        )
    claim.incident = incident


def answer_idempotency_key(*, claim: IdempotencyKey, status: int, body: Any) -> IdempotencyKey:
    """Store the answer to the claimed request; repeats of it get this answer."""
    claim.response_status = status
    claim.response_body = body
    claim.save(update_fields=["response_status", "response_body"])
    return claim


def release_idempotency_key(*, claim: IdempotencyKey) -> None:
    """Forget a claim whose request declared nothing (it failed), so the client may retry; one
    that declared, or that a retry took over, is kept."""
    _unchanged(claim).delete()


def _unchanged(claim: IdempotencyKey) -> QuerySet[IdempotencyKey]:
    """The claim as `claim` last saw it: unanswered, unlinked and claimed at the same time."""
    return IdempotencyKey.objects.filter(
        pk=claim.pk,
        created_at=claim.created_at,
        incident__isnull=True,
        response_status__isnull=True,
    )
