"""The provider's callback endpoint."""

import hmac
import logging

from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from calls.callbacks import CallbackParseError, UnknownEvent, parse_callback
from calls.models import Call
from calls.services import ingest_callback
from config.api_errors import error_response

logger = logging.getLogger(__name__)


class RawBodyParser(BaseParser):
    """Hands the body over untouched: calls.callbacks parses it (leniently, as the provider
    varies key case) and the stored event must be exactly what arrived."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        return stream.read() if stream is not None else b""


@method_decorator(login_not_required, name="dispatch")
class ProviderCallbackView(APIView):
    """POST /calls/<call_id>/events/<secret>/: the provider's events for one call.

    The secret in the URL is the only credential the preview API offers; it is compared in
    constant time. 401 wrong secret, 404 unknown call, 400 malformed body, 200 stored.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]
    throttle_classes = []

    def post(self, request: Request, call_id: int, secret: str) -> Response:
        call = Call.objects.filter(pk=call_id).only("pk", "callback_secret").first()
        if call is None:
            return error_response("unknown_call", "No such call.", status.HTTP_404_NOT_FOUND)
        if not hmac.compare_digest(call.callback_secret.encode(), secret.encode()):
            return error_response(
                "bad_secret", "The callback secret is wrong.", status.HTTP_401_UNAUTHORIZED
            )
        try:
            events = parse_callback(request.body)
        except CallbackParseError as exc:
            return error_response(exc.code, exc.message, status.HTTP_400_BAD_REQUEST)
        for event in events:
            if isinstance(event, UnknownEvent):
                logger.warning("Stored an event type we do not apply: %s", event.event_type)
        stored = ingest_callback(call=call, events=events)
        return Response({"stored": stored, "received": len(events)})
