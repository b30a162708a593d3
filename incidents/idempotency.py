"""Idempotent declarations: a retried `POST /api/incidents/` must not phone anyone twice.

A client sends `Idempotency-Key: <anything unique>`. The first request claims the key, runs,
and stores its answer; a repeat with the same key and body within a day gets that answer back.
Keys belong to one user (and so to one token), so clients cannot collide with each other.
"""

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.errors import IdempotencyKeyReused, IdempotentRequestInFlight
from incidents.models import IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)


def request_hash(data: Any) -> str:
    """A fingerprint of a request body that ignores key order and whitespace."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim_idempotency_key(*, user: User, key: str, body_hash: str) -> IdempotencyKey:
    """Reserve `key` for a new request, or return the answered earlier one (`is_answered`).

    Raises IdempotencyKeyReused when the key came with another body, and
    IdempotentRequestInFlight while the first request with it is still running.
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
        earlier = IdempotencyKey.objects.get(user=user, key=key)
    if earlier.request_hash != body_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body; "
            "use a new key for a new incident."
        )
    if not earlier.is_answered:
        raise IdempotentRequestInFlight(
            "A request with this Idempotency-Key is still being processed; try again shortly."
        )
    return earlier


def answer_idempotency_key(*, claim: IdempotencyKey, status: int, body: Any) -> IdempotencyKey:
    """Store the answer to the claimed request; repeats of it get this answer."""
    claim.response_status = status
    claim.response_body = body
    claim.save(update_fields=["response_status", "response_body"])
    return claim


def release_idempotency_key(*, claim: IdempotencyKey) -> None:
    """Forget a claim whose request stored nothing (it failed), so the client may retry."""
    IdempotencyKey.objects.filter(pk=claim.pk, response_status__isnull=True).delete()
