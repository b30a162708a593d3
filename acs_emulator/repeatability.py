"""Repeatable requests (OASIS Repeatable Requests 1.0, as ACS documents it elsewhere): create
call and invitations in both dialects, and GA's other repeatable POSTs (acs_emulator.ga_api).

A client that retries a create call (or an invitation) resends the same
`Repeatability-Request-ID` and `Repeatability-First-Sent`; within five minutes the emulator
replays the first answer instead of placing a second call (ringing the person again), whether
that call still rings or has long ended. Malformed headers or a reused id with another body →
400; a first-sent time older than the window → 412.
"""

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from acs_emulator.errors import ApiError
from acs_emulator.fields import JsonObject

WINDOW = timedelta(minutes=5)
REQUEST_ID_HEADER = "repeatability-request-id"
FIRST_SENT_HEADER = "repeatability-first-sent"
RESULT_HEADER = "Repeatability-Result"


def _rejected(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, code, message, {RESULT_HEADER: "rejected"})


@dataclass(frozen=True)
class Repeatability:
    request_id: str
    first_sent: datetime


def parse_headers(headers: Mapping[str, str], now: datetime) -> Repeatability | None:
    """Read the two headers; None when the request does not ask to be repeatable."""
    request_id = headers.get(REQUEST_ID_HEADER)
    first_sent = headers.get(FIRST_SENT_HEADER)
    if request_id is None and first_sent is None:
        return None
    if not request_id or not first_sent:
        raise _rejected(
            400, "BadRequest", "Repeatability-Request-ID and Repeatability-First-Sent go together."
        )
    try:
        canonical_id = str(uuid.UUID(request_id))
    except ValueError:
        raise _rejected(400, "BadRequest", "Repeatability-Request-ID must be a GUID.") from None
    try:
        sent = parsedate_to_datetime(first_sent)
    except (TypeError, ValueError):
        sent = None
    if sent is None or sent.tzinfo is None:
        raise _rejected(
            400, "BadRequest", "Repeatability-First-Sent must be an IMF-fixdate in GMT."
        )
    if now - sent > WINDOW:
        raise _rejected(
            412, "PreconditionFailed", "Repeatability-First-Sent is older than 5 minutes."
        )
    return Repeatability(canonical_id, sent)


def body_digest(body: JsonObject) -> str:
    # Compare meaning, not bytes: a retry may serialise the same body with other key order.
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Outcome:
    digest: str
    status: int
    payload: JsonObject
    stored_at: datetime


class RepeatabilityLedger:
    def __init__(self) -> None:
        self._outcomes: dict[str, Outcome] = {}

    def once(
        self,
        request: Repeatability,
        digest: str,
        now: datetime,
        run: Callable[[], tuple[JsonObject, int]],
    ) -> Outcome:
        """The stored answer to a repeated request, else `run()`'s `(payload, status)`, stored for
        the window; raises a 400 ApiError if the id was used with another body.

        Synchronous on purpose: nothing can await between the look-up and the record, so copies
        of one request that arrive together (a client that gave up waiting and sent it again)
        find the first copy's answer and never place a second call. Nothing is ever "still in
        progress" here, hence no 409. An error raised by `run()` is not stored: a retry after a
        failure is a new attempt, as after an injected fault.
        """
        self._expire(now)
        outcome = self._outcomes.get(request.request_id)
        if outcome is not None:
            if outcome.digest != digest:
                raise _rejected(
                    400,
                    "BadRequest",
                    "Repeatability-Request-ID was already used with another body.",
                )
            return outcome
        payload, status = run()
        outcome = Outcome(digest, status, payload, now)
        self._outcomes[request.request_id] = outcome
        return outcome

    def clear(self) -> None:
        self._outcomes.clear()

    def _expire(self, now: datetime) -> None:
        stale = [key for key, o in self._outcomes.items() if now - o.stored_at > WINDOW]
        for key in stale:
            del self._outcomes[key]
