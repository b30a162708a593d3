"""The emulated GA Call Automation REST surface (reference 3.1–3.5) under
`/calling/callConnections`, plus the unsigned OpenID configuration and JWKS that the callbacks'
JWTs are checked against.

Colon verbs (`{id}:play`, `{id}/participants:add`) are routed as one path segment and split here.
Errors are CommunicationErrorResponse bodies; an unknown, ended or 2021 call is 404. The POSTs the
SDK makes repeatable (create, terminate, add, remove, mute) replay their first answer for the same
Repeatability-Request-ID within 5 minutes.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from acs_emulator import ga_payloads, repeatability
from acs_emulator.config import GA_API_VERSIONS
from acs_emulator.emulator import Emulator
from acs_emulator.endpoints import Endpoint, Handler, hold_until_delivered, signed
from acs_emulator.errors import ApiError, bad_request, communication_error_response, not_found
from acs_emulator.fields import JsonObject, parse_json_object
from acs_emulator.ga_events import connection_json, participant_json
from acs_emulator.identifiers import Identifier
from acs_emulator.state import Call, CallState, Dialect, Participant, ParticipantState
from acs_emulator.tokens import JWKS_PATH, OPENID_PATH, openid_configuration

BASE = "/calling/callConnections"
Outcome = tuple[JsonObject, int]


def base_url(request: Request) -> str:
    """The emulator's address as this client reached it: scheme, host and mount prefix."""
    root_path = str(request.scope.get("root_path", ""))
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}{root_path}"


def _check_version(request: Request) -> None:
    version = request.query_params.get("api-version")
    if version is None:
        raise ApiError(
            400, "MissingApiVersionParameter", "The api-version query parameter is required."
        )
    if version not in GA_API_VERSIONS:
        raise ApiError(
            400,
            "UnsupportedApiVersion",
            f"api-version {version!r} is not supported; use one of {', '.join(GA_API_VERSIONS)}.",
        )


def _reply(payload: JsonObject, status: int, headers: dict[str, str] | None = None) -> Response:
    if status == 204 or (status == 202 and not payload):
        return Response(status_code=status, headers=headers)
    return JSONResponse(payload, status, headers=headers)


class GaApi:
    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._board = emulator.switchboard
        self._media = emulator.ga_media
        self._allow_http = emulator.config.allow_http_callbacks
        self._call_verbs: dict[str, Handler] = {
            "terminate": self.terminate,
            "play": self.play,
            "cancelallmediaoperations": self.cancel_all_media,
            "recognize": self.recognize,
            "startcontinuousdtmfrecognition": self.start_continuous_dtmf,
            "stopcontinuousdtmfrecognition": self.stop_continuous_dtmf,
        }
        self._participant_verbs: dict[str, Handler] = {
            "add": self.add_participant,
            "remove": self.remove_participant,
            "mute": self.mute_participant,
        }

    def routes(self) -> list[BaseRoute]:
        s = self._signed
        call = BASE + "/{call_id}"
        return [
            Route(OPENID_PATH, self.openid, methods=["GET"]),
            Route(JWKS_PATH, self.jwks, methods=["GET"]),
            Route(BASE, s(self.create_call), methods=["POST"]),
            Route(call, s(self.get_call), methods=["GET"]),
            Route(call, s(self.hang_up), methods=["DELETE"]),
            Route(BASE + "/{target}", s(self.call_verb), methods=["POST"]),
            Route(call + "/participants", s(self.list_participants), methods=["GET"]),
            Route(call + "/participants/{raw_id}", s(self.get_participant), methods=["GET"]),
            Route(call + "/{target}", s(self.participants_verb), methods=["POST"]),
        ]

    def _signed(self, handler: Handler) -> Endpoint:
        return signed(self._emulator, handler, _check_version, communication_error_response)

    # Discovery (unsigned) -----------------------------------------------------------------

    async def openid(self, request: Request) -> Response:
        issuer = self._emulator.config.jwt_issuer or base_url(request)
        return JSONResponse(openid_configuration(issuer, base_url(request)))

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self._emulator.signer.jwks())

    # Call ---------------------------------------------------------------------------------

    async def create_call(self, request: Request, body: bytes) -> Response:
        obj = parse_json_object(body)

        def place() -> Outcome:
            create = ga_payloads.parse_create_call(obj, allow_http=self._allow_http)
            call = self._board.create_call(create)
            call.token_issuer = self._emulator.config.jwt_issuer or base_url(request)
            return connection_json(call), 201

        payload, status, headers = self._repeatable(request, obj, place)
        await hold_until_delivered(
            self._emulator, self._board.get_call(str(payload["callConnectionId"]))
        )
        return _reply(payload, status, headers)

    async def get_call(self, request: Request, body: bytes) -> Response:
        call = self._call(request, allow_ended=True)
        return JSONResponse(connection_json(call))

    async def hang_up(self, request: Request, body: bytes) -> Response:
        # The app's leg is what holds an emulated call together: leaving ends it for everyone.
        self._board.hang_up(self._call(request))
        return Response(status_code=204)

    async def call_verb(self, request: Request, body: bytes) -> Response:
        call_id, _, verb = request.path_params["target"].partition(":")
        handler = self._call_verbs.get(verb.lower())
        if handler is None:
            raise not_found(f"No operation {verb!r} on call connections.")
        request.path_params["call_id"] = call_id
        return await handler(request, body)

    async def terminate(self, request: Request, body: bytes) -> Response:
        # Repeatable actions look the call up inside the ledger: a retry of an answered
        # request replays its answer even after the call ended meanwhile.
        def end() -> Outcome:
            self._board.hang_up(self._call(request))
            return {}, 204

        payload, status, headers = self._repeatable(request, {}, end)
        return _reply(payload, status, headers)

    # Media --------------------------------------------------------------------------------

    async def play(self, request: Request, body: bytes) -> Response:
        call = self._connected(request)
        play = ga_payloads.parse_play(parse_json_object(body), allow_http=self._allow_http)
        play_to = tuple(self._in_call(call, i).participant_id for i in play.play_to)
        self._media.play(call, play, play_to)
        return Response(status_code=202)

    async def cancel_all_media(self, request: Request, body: bytes) -> Response:
        self._media.cancel_all(self._connected(request))
        return Response(status_code=202)

    async def recognize(self, request: Request, body: bytes) -> Response:
        call = self._connected(request)
        ask = ga_payloads.parse_recognize(parse_json_object(body), allow_http=self._allow_http)
        self._media.recognize(call, ask, self._in_call(call, ask.target))
        return Response(status_code=202)

    async def start_continuous_dtmf(self, request: Request, body: bytes) -> Response:
        call, participant, obj = self._targeted(request, body, "targetParticipant")
        operation = ga_payloads.parse_operation(obj, allow_http=self._allow_http)
        self._media.start_continuous(call, participant, operation)
        return Response(status_code=200)

    async def stop_continuous_dtmf(self, request: Request, body: bytes) -> Response:
        call, participant, obj = self._targeted(request, body, "targetParticipant")
        operation = ga_payloads.parse_operation(obj, allow_http=self._allow_http)
        self._media.stop_continuous(call, participant, operation)
        return Response(status_code=200)

    # Participants -------------------------------------------------------------------------

    async def list_participants(self, request: Request, body: bytes) -> Response:
        call = self._call(request)
        roster = [participant_json(p) for p in call.roster()]
        return JSONResponse({"value": roster, "nextLink": None})

    async def get_participant(self, request: Request, body: bytes) -> Response:
        call = self._call(request)
        raw_id = request.path_params["raw_id"]
        for participant in call.roster():
            if participant.identifier.raw_id == raw_id:
                return JSONResponse(participant_json(participant))
        raise not_found(f"Participant {raw_id} is not in call {call.call_leg_id}.")

    async def participants_verb(self, request: Request, body: bytes) -> Response:
        noun, _, verb = request.path_params["target"].partition(":")
        handler = self._participant_verbs.get(verb.lower()) if noun == "participants" else None
        if handler is None:
            raise not_found(f"No operation {request.path_params['target']!r} on call connections.")
        return await handler(request, body)

    async def add_participant(self, request: Request, body: bytes) -> Response:
        obj = parse_json_object(body)

        def add() -> Outcome:
            call = self._connected(request)
            invite = ga_payloads.parse_add_participant(
                obj, call.caller_id, allow_http=self._allow_http
            )
            (invitee,) = self._board.invite(call, invite)
            return {
                "participant": participant_json(invitee),
                "operationContext": invite.operation_context,
                "invitationId": invitee.participant_id,
            }, 202

        payload, status, headers = self._repeatable(request, obj, add)
        return _reply(payload, status, headers)

    async def remove_participant(self, request: Request, body: bytes) -> Response:
        obj = parse_json_object(body)

        def remove() -> Outcome:
            call = self._connected(request)
            target = ga_payloads.parse_target(obj, "participantToRemove")
            operation = ga_payloads.parse_operation(obj, allow_http=self._allow_http)
            participant = self._board.find_participant(call, target)
            if participant is None:
                raise not_found(f"Participant {target.raw_id} is not in the call.")
            self._board.remove(call, participant, operation)
            return {"operationContext": operation.context}, 202

        payload, status, headers = self._repeatable(request, obj, remove)
        return JSONResponse(payload, status, headers=headers)

    async def mute_participant(self, request: Request, body: bytes) -> Response:
        obj = parse_json_object(body)

        def mute() -> Outcome:
            call = self._connected(request)
            participant = self._in_call(call, ga_payloads.parse_mute(obj))
            self._board.mute(call, participant)
            return {"operationContext": obj.get("operationContext")}, 200

        payload, status, headers = self._repeatable(request, obj, mute)
        return JSONResponse(payload, status, headers=headers)

    # Look-ups and repeatability -----------------------------------------------------------

    def _call(self, request: Request, *, allow_ended: bool = False) -> Call:
        call_id = request.path_params["call_id"]
        call = self._board.calls.get(call_id)
        gone = call is None or call.dialect is not Dialect.GA
        if call is None or gone or (call.is_over and not allow_ended):
            raise not_found(f"Call connection {call_id} was not found or has ended.")
        if allow_ended and call.state is CallState.TERMINATED:
            raise not_found(f"Call connection {call_id} has ended.")
        return call

    def _connected(self, request: Request) -> Call:
        call = self._call(request)
        if call.state is not CallState.ESTABLISHED:
            raise ApiError(400, "8501", "Action is not allowed: the call is not connected yet.")
        return call

    def _in_call(self, call: Call, identifier: Identifier) -> Participant:
        participant = self._board.find_participant(call, identifier)
        if participant is None or participant.state is not ParticipantState.CONNECTED:
            raise bad_request(f"{identifier.raw_id} is not a connected participant of the call.")
        return participant

    def _targeted(
        self, request: Request, body: bytes, key: str
    ) -> tuple[Call, Participant, JsonObject]:
        call = self._connected(request)
        obj = parse_json_object(body)
        return call, self._in_call(call, ga_payloads.parse_target(obj, key)), obj

    def _repeatable(
        self, request: Request, obj: JsonObject, run: Callable[[], Outcome]
    ) -> tuple[JsonObject, int, dict[str, str]]:
        now = datetime.now(UTC)
        repeat = repeatability.parse_headers(request.headers, now)
        if repeat is None:
            payload, status = run()
            return payload, status, {}
        # One id names one request: the same id on another operation is another body.
        digest = repeatability.body_digest({"path": request.url.path, "body": obj})
        outcome = self._emulator.ledger.once(repeat, digest, now, run)
        return outcome.payload, outcome.status, {repeatability.RESULT_HEADER: "accepted"}
