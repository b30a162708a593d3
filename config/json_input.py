"""Reading a JSON request body that nobody vouches for, for every HTTP interface of the app.

The DRF parser (config.api_parsers), the provider's callbacks (calls.callback_reading) and
alert intake (integrations.payloads) all read bodies here, so one rule decides what is JSON:
- not UTF-8, not JSON, or NaN/Infinity (not JSON, and a JSON column cannot hold them):
  `not_json`;
- nested deeper than MAX_DEPTH: `too_deep`. Python's parser recurses per level and gives up
  with a RecursionError near 1,000 levels; that error is no ValueError, and it escaped every
  reader as a 500 (issue 14);
- an integer of more than 4,300 digits: Python refuses to read it (a ValueError), `not_json`.

`check_storable` then refuses what parses but no database column can keep: a NUL character
(PostgreSQL holds none in text or jsonb; SQLite does, so tests on SQLite alone miss it), a
lone UTF-16 surrogate (no UTF-8 database encodes one: the driver's encode raised a 500 on
both databases), and a number too large for a float (1e400 reads as infinity).
"""

import json
import math
from typing import NoReturn

# Deeper than any real request or callback (the deepest the app reads is 5), and well inside
# the parser's own recursion limit, so the limit is ours and not the interpreter's.
MAX_DEPTH = 64
_TOO_DEEP = object()


class JsonInputError(ValueError):
    """The body is not JSON the app reads; `code` is short and stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def load_json(body: bytes | str) -> object:
    """The document `body` holds; raises JsonInputError (not_json, too_deep)."""
    try:
        document = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        document = _TOO_DEEP
    except ValueError as exc:
        raise JsonInputError("not_json", "The body is not a JSON document.") from exc
    if document is _TOO_DEEP or _depth(document) > MAX_DEPTH:
        raise JsonInputError("too_deep", f"The body is nested deeper than {MAX_DEPTH} levels.")
    return document


def check_storable(document: object, where: str = "body") -> None:
    """Refuse text and numbers the database cannot store, anywhere in a loaded JSON document;
    raises JsonInputError (unstorable_text, not_finite)."""
    stack: list[tuple[object, str]] = [(document, where)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, float) and not math.isfinite(value):
            raise JsonInputError("not_finite", f"{path} is a number too large to store.")
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, f"{path} (a key)")
                stack.append((item, f"{path}.{key[:40]}"))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(value))


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise JsonInputError("unstorable_text", f"{path} contains a NUL character.")
    if text.isascii():
        return  # nearly always, and then no surrogate either
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonInputError(
            "unstorable_text", f"{path} contains a lone surrogate, which is not text."
        ) from None


def _depth(document: object) -> int:
    """How deep arrays and objects nest, without recursing (the cost is one step a container)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(name)
