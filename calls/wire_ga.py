"""How the app's values go on the GA API's wire in requests (identifiers, play sources, tones,
paths, repeatability headers) and what comes back in responses (participant lists), per
shared/reference/acs-call-automation.md, 3.2-3.5.

No HTTP library here; request builders raise (InvalidIdentifier, ValueError) before anything
is sent, response readers raise ValueError.
"""

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from calls import signing
from calls.callback_reading import CallbackParseError, JsonObject, raw_id
from calls.callback_reading import identifier as app_identifier
from calls.provider_types import (
    FileSource,
    InvalidIdentifier,
    ParticipantInfo,
    PlaySource,
    TextSource,
)
from calls.wire import non_empty

_PHONE_NUMBER = re.compile(r"\+[1-9][0-9]{1,14}")  # E.164
MAX_TEXT = 4000  # characters of a text-to-speech source

_TONE_NAMES = dict(
    zip(
        "0123456789",
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
        strict=True,
    )
) | {"*": "asterisk", "#": "pound", "A": "a", "B": "b", "C": "c", "D": "d"}


def identifier(raw: str) -> dict[str, Any]:
    """A CommunicationIdentifierModel for "+E164", "4:+E164" (a raw id) or "8:...". Raises
    InvalidIdentifier."""
    if isinstance(raw, str) and raw.startswith("4:"):
        raw = raw[2:]
    if isinstance(raw, str) and _PHONE_NUMBER.fullmatch(raw):
        return {"kind": "phoneNumber", "rawId": f"4:{raw}", "phoneNumber": {"value": raw}}
    if isinstance(raw, str) and raw.startswith("8:") and len(raw) > 2:
        return {"kind": "communicationUser", "rawId": raw, "communicationUser": {"id": raw}}
    raise InvalidIdentifier(f"{raw!r} is neither a +E.164 phone number nor an 8: ACS user id.")


def identifiers(raws: Sequence[str]) -> list[dict[str, Any]]:
    """Each of `raws` as `identifier`. Raises InvalidIdentifier, TypeError for one string."""
    if isinstance(raws, str):  # a str is a Sequence[str] too
        raise TypeError("expected a sequence of identifiers, not one string.")
    return [identifier(raw) for raw in raws]


def phone_number(raw: str) -> dict[str, str]:
    """A PhoneNumberIdentifierModel (`sourceCallerIdNumber`). Raises InvalidIdentifier."""
    if not (isinstance(raw, str) and _PHONE_NUMBER.fullmatch(raw)):
        raise InvalidIdentifier(f"Caller id {raw!r} must be a +E.164 phone number.")
    return {"value": raw}


def play_source(source: PlaySource) -> dict[str, Any]:
    """A PlaySource: `file {uri}` with an optional cache id, or `text {text, ...}`. Raises
    ValueError (no absolute URL; no text, or more than 4,000 characters), TypeError."""
    if isinstance(source, FileSource):
        if not source.url.startswith(("https://", "http://")):
            raise ValueError("A file source needs an absolute http(s) URL.")
        wire: dict[str, Any] = {"kind": "file", "file": {"uri": source.url}}
        if source.cache_id is not None:
            wire["playSourceCacheId"] = non_empty("cache_id", source.cache_id)
        return wire
    if isinstance(source, TextSource):
        if not source.text.strip() or len(source.text) > MAX_TEXT:
            raise ValueError(f"A text source needs 1 to {MAX_TEXT} characters.")
        text: dict[str, Any] = {"text": source.text}
        if source.source_locale:
            text["sourceLocale"] = source.source_locale
        if source.voice_name:
            text["voiceName"] = source.voice_name
        return {"kind": "text", "text": text}
    raise TypeError(f"Not a play source: {source!r}.")


def tone(value: str) -> str:
    """The GA name of a key: "1" -> "one", "*" -> "asterisk", "#" -> "pound", "A" -> "a".
    Raises ValueError."""
    name = _TONE_NAMES.get(value.upper() if len(value) == 1 else value)
    if name is None:
        raise ValueError(f"{value!r} is not a DTMF key (0-9, *, #, A-D).")
    return name


def in_range(name: str, value: int, low: int, high: int) -> int:
    """`value`, if a whole number from `low` to `high`. Raises ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}.")
    return value


def connection_path(call_id: str, tail: str = "") -> str:
    """`/calling/callConnections/{id}` plus `tail` (":play", "/participants:add", ...).
    Raises ValueError for an empty id."""
    return "/calling/callConnections/" + quote(non_empty("call_id", call_id), safe="") + tail


def repeatability(
    request_id: uuid.UUID | None, first_sent: datetime | None, *, now: datetime
) -> dict[str, str]:
    """Repeatability-Request-ID/-First-Sent: the caller's pair, or a fresh one (first sent
    `now`) if neither is given: the caller cannot repeat that one later, but every retry of
    this request does. Raises ValueError for half a pair or a naive time."""
    if (request_id is None) != (first_sent is None):
        raise ValueError("Pass request_id and first_sent together, or neither.")
    if request_id is None or first_sent is None:
        request_id, first_sent = uuid.uuid4(), now
    return {
        "Repeatability-Request-ID": str(request_id),
        "Repeatability-First-Sent": signing.http_date(first_sent),
    }


# --- Responses -----------------------------------------------------------------------------


def participants_page(document: object) -> tuple[list[ParticipantInfo], str | None]:
    """One page of `{value: [CallParticipant], nextLink}`. Raises ValueError."""
    try:
        page = JsonObject(document, "body")
        people = []
        for index, value in enumerate(page.array("value", required=True)):
            entry = JsonObject(value, f"body.value[{index}]")
            who = entry.child("identifier")
            people.append(
                ParticipantInfo(
                    identifier=app_identifier(who),
                    participant_id=raw_id(who),
                    is_muted=entry.boolean("isMuted", default=False),
                    is_on_hold=entry.boolean("isOnHold", default=False),
                )
            )
        return people, page.optional_string("nextLink")
    except CallbackParseError as exc:
        raise ValueError(exc.message) from None


def call_source(body: dict[str, Any]) -> str | None:
    """The app's own identity in a CallConnectionProperties (`source`), in the app's raw form;
    None if absent or unreadable (lenient: the call was placed either way)."""
    try:
        return app_identifier(JsonObject(body.get("source"), "body.source"))
    except CallbackParseError:
        return None


def same_host_path(link: str, endpoint: str) -> str:
    """The path and query of a `nextLink`, relative to `endpoint`; a link to another host is
    refused, as it would carry our signature there. Raises ValueError."""
    url, base = urlsplit(link), urlsplit(endpoint)
    if url.netloc and (url.scheme, url.netloc) != (base.scheme, base.netloc):
        raise ValueError("nextLink points at another host.")
    prefix = base.path.rstrip("/")  # the endpoint's own path (the embedded emulator's mount)
    path = (
        url.path.removeprefix(prefix) if prefix and url.path.startswith(prefix + "/") else url.path
    )
    return path + (f"?{url.query}" if url.query else "")
