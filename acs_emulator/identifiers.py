"""Communication identifiers: parsing the request shapes and writing the two output shapes.

Requests use `{"communicationUser": {"id": "8:acs:..."}}` or `{"phoneNumber": {"value": "+E164"}}`
(2021-03-07 common model). Preview callback data spells the same thing in PascalCase with a RawId.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from acs_emulator.errors import bad_request
from acs_emulator.fields import JsonObject, require_object

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PHONE_RAW_PREFIX = "4:"
ACS_USER_PREFIX = "8:"


class Kind(StrEnum):
    COMMUNICATION_USER = "communicationUser"
    PHONE_NUMBER = "phoneNumber"


@dataclass(frozen=True)
class Identifier:
    kind: Kind
    value: str  # the ACS user id, or the E.164 number

    @property
    def raw_id(self) -> str:
        if self.kind is Kind.PHONE_NUMBER:
            return PHONE_RAW_PREFIX + self.value
        return self.value

    @property
    def is_phone(self) -> bool:
        return self.kind is Kind.PHONE_NUMBER

    def to_request_json(self) -> JsonObject:
        if self.is_phone:
            return {"phoneNumber": {"value": self.value}}
        return {"communicationUser": {"id": self.value}}

    def to_ga_json(self) -> JsonObject:
        """The GA CommunicationIdentifierModel: kind, rawId and the one inner object."""
        return {"kind": self.kind.value, "rawId": self.raw_id, **self.to_request_json()}

    def to_event_json(self) -> JsonObject:
        return {
            "RawId": self.raw_id,
            "CommunicationUser": None if self.is_phone else {"Id": self.value},
            "PhoneNumber": {"Value": self.value} if self.is_phone else None,
            "MicrosoftTeamsUser": None,
        }


def phone_number(value: object, name: str) -> Identifier:
    if not isinstance(value, str) or not E164.match(value):
        raise bad_request(f"'{name}' must be an E.164 phone number such as +14255550123.")
    return Identifier(Kind.PHONE_NUMBER, value)


def communication_user(value: object, name: str) -> Identifier:
    if not isinstance(value, str) or not value.startswith(ACS_USER_PREFIX) or len(value) < 3:
        raise bad_request(f"'{name}' must be an ACS user id starting with '8:'.")
    return Identifier(Kind.COMMUNICATION_USER, value)


def parse_identifier(value: object, name: str) -> Identifier:
    """Parse a request identifier object; exactly one of communicationUser / phoneNumber."""
    obj = require_object(value, name)
    if "microsoftTeamsUser" in obj:
        raise bad_request(f"'{name}': Teams users are not supported in this API version.")
    kinds = [key for key in (Kind.COMMUNICATION_USER, Kind.PHONE_NUMBER) if key in obj]
    if len(kinds) != 1:
        raise bad_request(f"'{name}' must hold exactly one of communicationUser or phoneNumber.")
    inner = require_object(obj[kinds[0]], f"{name}.{kinds[0]}")
    if kinds[0] is Kind.PHONE_NUMBER:
        return phone_number(inner.get("value"), f"{name}.phoneNumber.value")
    return communication_user(inner.get("id"), f"{name}.communicationUser.id")


def parse_ga_identifier(value: object, name: str) -> Identifier:
    """A GA identifier: like `parse_identifier`, or a bare `rawId` ("4:+E164" or "8:...")."""
    obj = require_object(value, name)
    if Kind.COMMUNICATION_USER in obj or Kind.PHONE_NUMBER in obj or "microsoftTeamsUser" in obj:
        return parse_identifier(obj, name)
    raw_id = obj.get("rawId")
    if not isinstance(raw_id, str):
        raise bad_request(f"'{name}' must hold a communicationUser, a phoneNumber or a rawId.")
    if raw_id.startswith(PHONE_RAW_PREFIX):
        return phone_number(raw_id[len(PHONE_RAW_PREFIX) :], f"{name}.rawId")
    return communication_user(raw_id, f"{name}.rawId")


def parse_caller_id(value: object, name: str) -> Identifier:
    """Parse a caller id. The SDK's wire shape is a bare PhoneNumberIdentifierModel `{"value"}`;
    the documentation's examples wrap it like any identifier. Both are accepted."""
    obj = require_object(value, name)
    if Kind.PHONE_NUMBER in obj:
        return parse_identifier(obj, name)
    return phone_number(obj.get("value"), f"{name}.value")


def parse_target_key(target: str) -> str:
    """Normalise a control-API target (E.164, `4:+E164` or an ACS id) to an identifier's value."""
    if target.startswith(PHONE_RAW_PREFIX):
        target = target[len(PHONE_RAW_PREFIX) :]
    if target.startswith("+"):
        return phone_number(target, "target").value
    return communication_user(target, "target").value
