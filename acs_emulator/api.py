"""The emulated ACS REST surface of `2021-04-15-preview1`, under `/calling/calls` and bare `/calls`.

Every request goes through `endpoints.signed` (HMAC, api-version, faults), then its handler.
"""

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from acs_emulator import repeatability
from acs_emulator.config import API_VERSION
from acs_emulator.emulator import Emulator
from acs_emulator.endpoints import Endpoint, Handler, hold_until_delivered, signed
from acs_emulator.errors import ApiError, error_response, not_found
from acs_emulator.fields import JsonObject, parse_json_object
from acs_emulator.payloads import (
    parse_cancel_media,
    parse_create_call,
    parse_invite,
    parse_play_audio,
)
from acs_emulator.state import NO_OPERATION, Call, PlayOperation, PlaySource, SourceKind

PREFIXES = ("/calling/calls", "/calls")


class AcsApi:
    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._board = emulator.switchboard
        # Azure treats these path segments without regard to case; the docs spell them like this.
        self._actions: dict[str, Handler] = {
            "hangup": self.hang_up,
            "playaudio": self.play_audio,
            "cancelmediaprocessing": self.cancel_media,
        }

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = []
        for prefix in PREFIXES:
            call = prefix + "/{call_leg_id}"
            routes += [
                Route(prefix, self._signed(self.create_call), methods=["POST"]),
                Route(call + "/participants", self._signed(self.invite), methods=["POST"]),
                Route(
                    call + "/participants/{participant_id}",
                    self._signed(self.remove),
                    methods=["DELETE"],
                ),
                Route(call + "/{action}", self._signed(self.call_action), methods=["POST"]),
            ]
        return routes

    def _signed(self, handler: Handler) -> Endpoint:
        return signed(self._emulator, handler, _check_api_version, error_response)

    async def create_call(self, request: Request, body: bytes) -> Response:
        now = datetime.now(UTC)
        repeat = repeatability.parse_headers(request.headers, now)
        obj = parse_json_object(body)
        if repeat is None:
            payload, status = self._place_call(obj)
            headers = {}
        else:
            digest = repeatability.body_digest(obj)
            outcome = self._emulator.ledger.once(repeat, digest, now, lambda: self._place_call(obj))
            payload, status = outcome.payload, outcome.status
            headers = {repeatability.RESULT_HEADER: "accepted"}
        await hold_until_delivered(self._emulator, self._board.get_call(str(payload["callLegId"])))
        return JSONResponse(payload, status, headers=headers)

    def _place_call(self, obj: JsonObject) -> tuple[JsonObject, int]:
        call = self._board.create_call(parse_create_call(obj))
        return {"callLegId": call.call_leg_id}, self._emulator.config.create_call_status

    async def call_action(self, request: Request, body: bytes) -> Response:
        handler = self._actions.get(request.path_params["action"].lower())
        if handler is None:
            raise not_found(f"No operation {request.path_params['action']!r} on calls.")
        return await handler(request, body)

    async def hang_up(self, request: Request, body: bytes) -> Response:
        self._board.hang_up(self._call(request))
        return Response(status_code=202)

    async def play_audio(self, request: Request, body: bytes) -> Response:
        call = self._call(request)
        self._board.require_established(call)
        play = parse_play_audio(parse_json_object(body))
        source = PlaySource(SourceKind.FILE, uri=play.audio_file_uri)
        operation = PlayOperation((source,), play.loop, play.operation_context, play.audio_file_id)
        return JSONResponse(self._emulator.media.play(call, operation), 202)

    async def cancel_media(self, request: Request, body: bytes) -> Response:
        call = self._call(request)
        self._board.require_established(call)
        context = parse_cancel_media(parse_json_object(body, allow_empty=True))
        return JSONResponse(self._emulator.media.cancel(call, context), 202)

    async def invite(self, request: Request, body: bytes) -> Response:
        now = datetime.now(UTC)
        repeat = repeatability.parse_headers(request.headers, now)
        obj = parse_json_object(body)

        def invite() -> tuple[JsonObject, int]:
            call = self._call(request)
            self._board.invite(call, parse_invite(obj, call.caller_id))
            return {}, 202

        if repeat is None:
            invite()
            return Response(status_code=202)
        # As create call: the same id within the window is answered again and rings nobody.
        # One id names one request: the same id on another call or operation is another body.
        digest = repeatability.body_digest({"path": request.url.path, "body": obj})
        outcome = self._emulator.ledger.once(repeat, digest, now, invite)
        return Response(
            status_code=outcome.status, headers={repeatability.RESULT_HEADER: "accepted"}
        )

    async def remove(self, request: Request, body: bytes) -> Response:
        call = self._call(request)
        participant = self._board.get_participant(call, request.path_params["participant_id"])
        self._board.remove(call, participant, NO_OPERATION)
        return Response(status_code=202)

    def _call(self, request: Request) -> Call:
        return self._board.get_call(request.path_params["call_leg_id"])


def _check_api_version(request: Request) -> None:
    version = request.query_params.get("api-version")
    if version is not None and version != API_VERSION:
        raise ApiError(
            400,
            "UnsupportedApiVersion",
            f"api-version {version!r} is not supported; this emulator speaks {API_VERSION}.",
        )
