"""Typed readers for fields of a decoded JSON body; each raises a 400 ApiError naming the field."""

import json
from collections.abc import Collection
from urllib.parse import urlsplit

from acs_emulator.errors import bad_request

JsonObject = dict[str, object]


def parse_json_object(body: bytes, *, allow_empty: bool = False) -> JsonObject:
    """Decode a request body that must be a JSON object (or, if allowed, empty)."""
    if allow_empty and not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from exc
    except (ValueError, RecursionError) as exc:
        # An integer of over 4,300 digits, or nesting deeper than the parser recurses: both
        # escaped as 500s.
        raise bad_request("The request body is not JSON the emulator reads.") from exc
    return require_object(value, "body")


def require_object(value: object, name: str) -> JsonObject:
    if not isinstance(value, dict):
        raise bad_request(f"'{name}' must be a JSON object.")
    return value


def reject_unknown(obj: JsonObject, allowed: Collection[str], name: str) -> None:
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise bad_request(f"Unknown field(s) in {name}: {', '.join(unknown)}.")


def optional_str(obj: JsonObject, key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{key}' must be a string.")
    return value


def required_str(obj: JsonObject, key: str) -> str:
    value = optional_str(obj, key)
    if not value:
        raise bad_request(f"'{key}' is required and must be a non-empty string.")
    return value


def optional_bool(obj: JsonObject, key: str, default: bool) -> bool:
    value = obj.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"'{key}' must be true or false.")
    return value


def optional_int(
    obj: JsonObject, key: str, default: int | None, *, low: int, high: int
) -> int | None:
    value = obj.get(key, default)
    if value is None:
        return default
    # bool is an int subclass; `true` is not a number of milliseconds.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_request(f"'{key}' must be an integer from {low} to {high}.")
    return value


def optional_rate(obj: JsonObject, key: str) -> float:
    value = obj.get(key, 0)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise bad_request(f"'{key}' must be a number from 0 to 1.")
    return float(value)


def optional_list(obj: JsonObject, key: str) -> list[object] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request(f"'{key}' must be an array.")
    return value


def required_list(obj: JsonObject, key: str) -> list[object]:
    value = optional_list(obj, key)
    if not value:
        raise bad_request(f"'{key}' is required and must be a non-empty array.")
    return value


def required_http_url(obj: JsonObject, key: str) -> str:
    value = required_str(obj, key)
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        valid = False
    if not valid:
        raise bad_request(f"'{key}' must be an absolute http or https URI.")
    return value
