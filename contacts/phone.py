"""Phone numbers and ACS identities: the two ways a contact is reached."""

import re
from collections.abc import Sequence

import phonenumbers
from django.core.exceptions import ValidationError

# ACS communication user ids look like "8:acs:<resource>_<guid>"; other "8:" kinds exist
# (8:spool:, 8:echo123) and are equally addressable, so accept any "8:<kind>:<rest>".
ACS_USER_ID_RE = re.compile(r"^8:[a-z0-9]+:[A-Za-z0-9._\-]+$")


def normalize_phone_number(raw: str) -> str:
    """Return `raw` in E.164 form; raise ValidationError when it is not a valid number.

    Numbers must carry their country code ("+44 20 7946 0958"): the app serves many regions.
    """
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter a phone number in international format, e.g. +14255550123.",
            code="invalid_phone_number",
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            "%(number)s is not a valid phone number.",
            code="invalid_phone_number",
            params={"number": raw},
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_phone_number(value: str) -> None:
    """Model-field validator: the stored value must already be E.164 and valid."""
    if normalize_phone_number(value) != value:
        raise ValidationError("Store phone numbers in E.164 form, e.g. +14255550123.")


def validate_acs_user_id(value: str) -> None:
    if not ACS_USER_ID_RE.match(value):
        raise ValidationError(
            "Enter an ACS user id such as 8:acs:<resource>_<guid>.", code="invalid_acs_user_id"
        )


def normalize_target(raw: str) -> str:
    """Return an ad-hoc call target as an E.164 number or an ACS user id."""
    value = raw.strip()
    if value.startswith("8:"):
        validate_acs_user_id(value)
        return value
    return normalize_phone_number(value)


def normalize_targets(raws: Sequence[str]) -> tuple[list[str], dict[int, list[str]]]:
    """Each of `raws` normalised as normalize_target does, and the messages for each position
    that is not valid (so that a form or a request can say which line or item is wrong)."""
    identifiers: list[str] = []
    errors: dict[int, list[str]] = {}
    for index, raw in enumerate(raws):
        try:
            identifiers.append(normalize_target(raw))
        except ValidationError as exc:
            errors[index] = exc.messages
    return identifiers, errors
