"""How log records are written: one JSON object per line, or readable lines for a terminal.

settings.LOGGING names these formatters; nothing here configures structlog globally. The app
logs through the standard library (`logging.getLogger(__name__)`, fields in `extra=`), and
structlog's ProcessorFormatter turns each record, Django's and daphne's too, into an event
dict: its message, level, logger, time, the `extra` fields and the context's request id.
"""

from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

FORMATS = ("json", "console")


def _drop_request_object(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    # django.request passes the HttpRequest in `extra`: its repr says nothing the message
    # does not, and it is not JSON.
    event.pop("request", None)
    return event


_PRE_CHAIN: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    _drop_request_object,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def formatter(kind: str) -> dict[str, Any]:
    """The LOGGING "formatters" entry of `kind` ("json" or "console")."""
    if kind == "json":
        processors: list[Processor] = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # A traceback as one string: frames with their locals could hold secrets.
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False),
        ]
    else:
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": _PRE_CHAIN,
        "processors": processors,
    }
