"""Reading provider callback JSON, for every dialect's parser: case-insensitive objects whose
errors name the path that failed, times, identifiers and DTMF tones.

Everything here raises only CallbackParseError.
"""

import re
from datetime import UTC, datetime
from typing import Any, NoReturn, TypedDict

from config import json_input

_INT32 = 2**31  # codes and sequence numbers end up in integer columns


class CallbackParseError(Exception):
    """The callback body is not one we understand; `code` is short and stable for logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Common(TypedDict):
    """What every event carries, whatever its type and dialect."""

    event_id: str | None
    event_time: datetime
    event_type: str
    raw: dict[str, Any]


def load_json(body: bytes) -> object:
    """The body's document, read by the app's one rule (config.json_input)."""
    try:
        return json_input.load_json(body)
    except json_input.JsonInputError as exc:
        raise CallbackParseError(exc.code, exc.message) from None


class JsonObject:
    """A JSON object read with case-insensitive keys; errors name the path that failed."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            fail("wrong_type", f"{where} must be an object.")
        self.raw: dict[str, Any] = value
        self.where = where
        self.items: dict[str, object] = {}
        for key, item in value.items():
            folded = key.lower()  # JSON object keys are always strings
            if folded in self.items:
                fail("duplicate_key", f"{where} has {key[:40]!r} twice (ignoring case).")
            self.items[folded] = item

    def get(self, key: str) -> object:
        return self.items.get(key.lower())

    def required(self, key: str) -> object:
        value = self.get(key)
        if value is None:
            fail("missing", f"{self.path(key)} is required.")
        return value

    def path(self, key: str) -> str:
        return f"{self.where}.{key}"

    def string(self, key: str) -> str:
        value = self.required(key)
        if not isinstance(value, str) or not value:
            fail("wrong_type", f"{self.path(key)} must be a non-empty string.")
        return value

    def optional_string(self, key: str) -> str | None:
        value = self.get(key)
        if value is not None and not isinstance(value, str):
            fail("wrong_type", f"{self.path(key)} must be a string or null.")
        return value

    def integer(self, key: str) -> int:
        value = self.optional_integer(key)
        if value is None:
            fail("missing", f"{self.path(key)} is required.")
        return value

    def optional_integer(self, key: str) -> int | None:
        value = self.get(key)
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,10}", value):
            value = int(value)  # codes sometimes arrive as numeric strings ("8501")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not -_INT32 <= value < _INT32:
            fail("wrong_type", f"{self.path(key)} must be a 32-bit integer.")
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            fail("wrong_type", f"{self.path(key)} must be true or false.")
        return value

    def child(self, key: str) -> "JsonObject":
        return JsonObject(self.required(key), self.path(key))

    def optional_child(self, key: str) -> "JsonObject | None":
        value = self.get(key)
        return None if value is None else JsonObject(value, self.path(key))

    def array(self, key: str, *, required: bool = False) -> list[object]:
        value = self.required(key) if required else self.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            fail("wrong_type", f"{self.path(key)} must be an array.")
        return value


def fail(code: str, message: str) -> NoReturn:
    raise CallbackParseError(code, message)


def parse_time(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)  # 3.11 reads the 7 fractional digits Azure sends
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("naive")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        fail("bad_time", f"{where} must be an ISO 8601 time with a UTC offset.")


def identifier(value: JsonObject) -> str:
    """The app's raw form of a wire identifier: "+E164" for phones, the raw id otherwise."""
    phone = value.optional_child("phoneNumber")
    if phone is not None:
        return phone.string("value")
    user = value.optional_child("communicationUser")
    if user is not None:
        return user.string("id")
    raw_id = value.optional_string("rawId")
    if raw_id:
        return raw_id.removeprefix("4:") if raw_id.startswith("4:+") else raw_id
    fail("bad_identifier", f"{value.where} has no phoneNumber, communicationUser or rawId.")


_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Spellings by era: "Tone1" (preview docs), "tone1" (swagger), "one" (later APIs), "1".
_TONES = (
    {f"tone{digit}": str(digit) for digit in range(10)}
    | {name: str(digit) for digit, name in enumerate(_DIGIT_NAMES)}
    | {str(digit): str(digit) for digit in range(10)}
    | {"star": "*", "asterisk": "*", "*": "*", "pound": "#", "#": "#", "flash": "flash"}
    | {letter: letter.upper() for letter in "abcd"}
)


def tone(value: str, where: str) -> str:
    """The app's form of a DTMF tone: "0"-"9", "*", "#", "A"-"D" or "flash"."""
    found = _TONES.get(value.lower())
    if found is None:
        fail("bad_value", f"{where} is not a DTMF tone.")
    return found


def raw_id(value: JsonObject) -> str:
    """The wire's raw id of an identifier ("4:+E164", "8:acs:..."): GA's participant id."""
    given = value.optional_string("rawId")
    if given:
        return given
    app_form = identifier(value)
    return f"4:{app_form}" if app_form.startswith("+") else app_form


def guess_string(data: object, key: str) -> str | None:
    """Best effort, for an event we do not parse: `data[key]` (any case) if a non-empty string."""
    if not isinstance(data, dict):
        return None
    for name, value in data.items():
        if str(name).lower() == key.lower() and isinstance(value, str) and value:
            return value
    return None
