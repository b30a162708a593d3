"""The emulated ACS REST surface of `2021-04-15-preview1`, under `/calling/calls` and bare `/calls`.

Every request is HMAC-verified, then passed through fault injection, then handled. Injected errors
(500, 429) happen before the operation; an injected slow response delays the reply after it, which
is the case a client's repeatability headers exist for.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from acs_emulator import repeatability
from acs_emulator.config import API_VERSION
from acs_emulator.emulator import Emulator
from acs_emulator.errors import ApiError, error_response, not_found
from acs_emulator.fields import JsonObject, parse_json_object
from acs_emulator.payloads import (
    parse_cancel_media,
    parse_create_call,
    parse_invite,
    parse_play_audio,
)
from acs_emulator.signature import SignatureError, SignedRequest, request_target, verify
from acs_emulator.state import Call, PlayOperation

PREFIXES = ("/calling/calls", "/calls")

Handler = Callable[[Request, bytes], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


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
        async def endpoint(request: Request) -> Response:
            try:
                body = await request.body()
                self._authenticate(request, body)
                _check_api_version(request)
                fault = self._emulator.faults.draw()
                if fault.error is not None:
                    raise fault.error
                response = await handler(request, body)
            except ApiError as error:
                return error_response(error)
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            return response

        return endpoint

    def _authenticate(self, request: Request, body: bytes) -> None:
        signed = SignedRequest(request.method, request_target(request.scope), request.headers, body)
        config = self._emulator.config
        try:
            verify(signed, config.key, datetime.now(UTC), config.max_clock_skew)
        except SignatureError as exc:
            raise ApiError(401, "Unauthorized", f"HMAC authentication failed: {exc}.") from exc

    async def create_call(self, request: Request, body: bytes) -> Response:
        now = datetime.now(UTC)
        repeat = repeatability.parse_headers(request.headers, now)
        obj = parse_json_object(body)
        if repeat is None:
            return JSONResponse(*self._place_call(obj))
        digest = repeatability.body_digest(obj)
        outcome = self._emulator.ledger.once(repeat, digest, now, lambda: self._place_call(obj))
        headers = {repeatability.RESULT_HEADER: "accepted"}
        return JSONResponse(outcome.payload, outcome.status, headers=headers)

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
        operation = PlayOperation(
            play.audio_file_uri, play.loop, play.operation_context, play.audio_file_id
        )
        return JSONResponse(self._emulator.media.play(call, operation), 202)

    async def cancel_media(self, request: Request, body: bytes) -> Response:
        call = self._call(request)
        self._board.require_established(call)
        context = parse_cancel_media(parse_json_object(body, allow_empty=True))
        return JSONResponse(self._emulator.media.cancel(call, context), 202)

    async def invite(self, request: Request, body: bytes) -> Response:
        call = self._call(request)
        self._board.invite(call, parse_invite(parse_json_object(body), call.caller_id))
        return Response(status_code=202)

    async def remove(self, request: Request, body: bytes) -> Response:
        call = self._call(request)
        participant = self._board.get_participant(call, request.path_params["participant_id"])
        self._board.remove(call, participant)
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
