"""The API's JSON parser: DRF's, reading bodies by the app's one rule (config.json_input) and
within the one size limit (config.body_limits).

DRF's own parser let a RecursionError (a body of 100,000 `[`) escape as a 500, read a body of
any size (DRF reads the request stream, which Django's DATA_UPLOAD_MAX_MEMORY_SIZE check does
not cover), and passed on text no database stores (a lone surrogate: a 500 from the driver).
"""

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from config.body_limits import RequestTooLarge, body_limit, too_large_message
from config.json_input import JsonInputError, check_storable, load_json


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = body_limit(media_type or "")
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge(too_large_message(limit))
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            document = load_json(body.decode(encoding))
            check_storable(document)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"The body is not {encoding} text.", code="not_json") from None
        except JsonInputError as exc:
            raise ParseError(exc.message, code=exc.code) from None
        return document
