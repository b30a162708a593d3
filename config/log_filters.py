"""Logging filters named in settings.LOGGING."""

import logging

from django.http import HttpRequest

from config.request_ids import without_url_secret


class ClientErrorWithoutTraceback(logging.Filter):
    """Keep `django.request`'s one line for a 4xx answer but drop the traceback it attaches.

    Django logs a refused permission (403) or a missing page (404) as a warning *with* the
    exception's traceback: an expected answer to a client's request, which buried real errors.
    5xx records keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class WithoutUrlSecret(logging.Filter):
    """Leave the callback URL's secret out of `django.request`'s line ("Bad Request:
    /calls/1/events/<secret>/"): a refused callback with the right secret would log it."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            message = record.getMessage()
            cleaned = without_url_secret(request, message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True
