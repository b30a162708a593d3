"""How the app's values go on the 2021 preview's wire in requests: identifiers, targets, paths.

No HTTP library here: calls.client builds its request bodies and paths with these, and they
raise (InvalidIdentifier, ValueError, TypeError) before anything is sent. What comes back in
callbacks is calls.callbacks' business.
"""

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from calls.provider_types import InvalidIdentifier

_PHONE_NUMBER = re.compile(r"\+[1-9][0-9]{1,14}")  # E.164


def wire_identifier(raw: str) -> dict[str, Any]:
    if isinstance(raw, str) and raw.startswith("8:") and len(raw) > 2:
        return {"communicationUser": {"id": raw}}
    if isinstance(raw, str) and _PHONE_NUMBER.fullmatch(raw):
        return {"phoneNumber": {"value": raw}}
    raise InvalidIdentifier(f"{raw!r} is neither a +E.164 phone number nor an 8: ACS user id.")


def wire_phone_number(raw: str) -> dict[str, Any]:
    if not (isinstance(raw, str) and _PHONE_NUMBER.fullmatch(raw)):
        raise InvalidIdentifier(f"Caller id {raw!r} must be a +E.164 phone number.")
    return {"phoneNumber": {"value": raw}}


def wire_targets(targets: Sequence[str]) -> list[dict[str, Any]]:
    if isinstance(targets, str):  # a str is a Sequence[str] too: "+1555..." would be 12 targets
        raise TypeError("targets must be a sequence of identifiers, not one string.")
    if not targets:
        raise ValueError("targets must not be empty.")
    return [wire_identifier(target) for target in targets]


def non_empty(name: str, value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string.")
    return value


def call_path(call_id: str, *segments: str) -> str:
    parts = [non_empty("call_id", call_id), *segments]
    return "/calling/calls/" + "/".join(quote(part, safe="") for part in parts)
