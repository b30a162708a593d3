"""The hostile bodies every HTTP interface is tried with, and what an answer to one must be.

Each has the status a reader of JSON bodies must answer it with (`expected`); routes that do not
read a body may ignore it and answer as usual, but never 5xx, and never anything but the JSON
error shape for an error.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings

JSON = "application/json"
ERROR_KEYS = {"code", "message"}


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes
    content_type: str
    # What a DRF route that reads a JSON object from the body answers (None: any 4xx, or a
    # success: it is a body some routes take); a route reading the raw body whatever its
    # Content-Type (the callbacks, alert intake, the emulator) answers 400 for a 415.
    expected: int | None

    def expected_from(self, *, reads_raw_body: bool) -> int | None:
        if reads_raw_body and self.expected == 415:
            return 400
        return self.expected


def _too_large() -> bytes:
    # Past Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB by default), the app's one limit.
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    return b'{"title": "' + b"x" * size + b'"}'


def hostile_bodies() -> list[Hostile]:
    wrong_types = {
        "title": ["a list"],
        "targets": {"not": "a list"},
        "prompt": "not an id",
        "name": None,
        "phone_number": 5,
        "events": "x",
        "url": 5,
        "is_active": "maybe",
        "members": [10**30],
        "page_size": -1,
    }
    return [
        Hostile("nested_arrays", b"[" * 100_000, JSON, 400),
        Hostile("nested_objects", b'{"a":' * 50_000, JSON, 400),
        Hostile("nested_closed", b"[" * 200 + b"]" * 200, JSON, 400),
        Hostile("too_large", _too_large(), JSON, 413),
        Hostile("not_utf8", b'{"title": "\xff\xfe"}', JSON, 400),
        Hostile("not_json", b"{not json", JSON, 400),
        Hostile("empty_json", b"", JSON, None),
        Hostile("wrong_content_type", b'{"title": "x"}', "application/xml", 415),
        Hostile("text_plain", b"hello", "text/plain", 415),
        Hostile("an_array", b"[1, 2, 3]", JSON, 400),
        Hostile("a_string", b'"x"', JSON, 400),
        Hostile("null", b"null", JSON, 400),
        Hostile("nan", b'{"title": NaN, "quorum": Infinity}', JSON, 400),
        Hostile("huge_float", b'{"title": "x", "quorum": 1e400}', JSON, 400),
        Hostile("huge_int_digits", b'{"quorum": 1' + b"0" * 5000 + b"}", JSON, 400),
        Hostile("wrong_types", json.dumps(wrong_types).encode(), JSON, 400),
        Hostile(
            "nul_text", b'{"title": "a\\u0000b", "name": "\\u0000", "url": "\\u0000"}', JSON, 400
        ),
        Hostile("lone_surrogate", b'{"title": "a\\ud800b", "name": "\\udfff"}', JSON, 400),
        Hostile(
            "form_not_utf8", b"title=%ff%fe&targets=%ff", "application/x-www-form-urlencoded", None
        ),
        Hostile("multipart_broken", b"--xx\r\nbroken", "multipart/form-data; boundary=xx", None),
        Hostile("multipart_no_boundary", b"abc", "multipart/form-data", 400),
        Hostile("bogus_charset", b'{"title": "x"}', "application/json; charset=bogus-42", None),
    ]


def is_error_shape(content_type: str, content: bytes) -> bool:
    if not content_type.startswith(JSON):
        return False
    body: Any = json.loads(content)
    return isinstance(body, dict) and set(body) >= ERROR_KEYS


def describe(status: int, content_type: str, content: bytes) -> str:
    return f"{status} {content_type}: {content[:200]!r}"
