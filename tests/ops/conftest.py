import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings


class JsonLogs:
    """Every line logged meanwhile, written by the JSON formatter that settings.LOGGING
    configures, and read back."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def with_request_id(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("request_id") == request_id]


@pytest.fixture
def json_logs() -> Iterator[JsonLogs]:
    logging_config: dict[str, Any] = settings.LOGGING
    config = dict(logging_config["formatters"]["json"])
    factory = config.pop("()")
    logs = JsonLogs()
    handler = logging.StreamHandler(logs.stream)
    handler.setFormatter(factory(**config))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield logs
    finally:
        root.removeHandler(handler)
