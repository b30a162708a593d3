"""The emulator's own control API under `/emulator/` (JSON, unsigned; not part of ACS).

It scripts the simulated people, injects faults, shows the calls and acts for a person on a call.
The two person actions also accept the plain HTML forms of the page and then redirect back to it.
Unauthenticated, like Azurite's: it refuses changes asked for by another site's page, and its
answers are not readable from other origins.
"""

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from acs_emulator.behaviours import TONES, parse_behaviour
from acs_emulator.callers import callers_json
from acs_emulator.emulator import Emulator
from acs_emulator.errors import ApiError, bad_request, error_response
from acs_emulator.faults import parse_faults
from acs_emulator.fields import parse_json_object, required_str
from acs_emulator.identifiers import parse_target_key
from acs_emulator.page import render_page
from acs_emulator.snapshots import call_json, call_summary_json
from acs_emulator.state import Call, Participant

BASE = "/emulator"
FORM_TYPE = "application/x-www-form-urlencoded"
# `?view=summary` leaves out participants, media and events: a short answer for thousands of calls.
VIEWS = {"full": call_json, "summary": call_summary_json}

Endpoint = Callable[[Request], Awaitable[Response]]


# Unauthenticated, so a page of another site must neither drive it nor read it: no CORS
# headers ever, and these keep its answers out of other origins' frames and script tags.
SAME_ORIGIN_ONLY = {
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
SAFE_METHODS = ("GET", "HEAD")
CROSS_SITE = ApiError(
    403, "CrossSiteRequest", "The emulator's control API takes no requests from other sites' pages."
)


def _from_another_site(request: Request) -> bool:
    """What a browser says about where a request comes from; scripts say nothing, and a page
    of another site cannot make its browser stay silent."""
    fetched_from = request.headers.get("sec-fetch-site")
    if fetched_from is not None and fetched_from not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host")


def _guarded(endpoint: Endpoint) -> Endpoint:
    async def guarded(request: Request) -> Response:
        try:
            if request.method not in SAFE_METHODS and _from_another_site(request):
                raise CROSS_SITE
            response = await endpoint(request)
        except ApiError as error:
            response = error_response(error)
        response.headers.update(SAME_ORIGIN_ONLY)
        return response

    return guarded


def _page_url(request: Request) -> str:
    return str(request.scope.get("root_path", "")) + BASE + "/"


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith(FORM_TYPE)


class ControlApi:
    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._board = emulator.switchboard

    def routes(self) -> list[BaseRoute]:
        person = BASE + "/calls/{call_leg_id}/participants/{participant_id}"
        table: list[tuple[str, Endpoint, str]] = [
            ("/", self.page, "GET"),
            ("/calls", self.list_calls, "GET"),
            ("/calls/{call_leg_id}", self.get_call, "GET"),
            ("/behaviours", self.list_behaviours, "GET"),
            ("/behaviours/{target}", self.put_behaviour, "PUT"),
            ("/behaviours/{target}", self.delete_behaviour, "DELETE"),
            ("/faults", self.get_faults, "GET"),
            ("/faults", self.put_faults, "PUT"),
            ("/faults", self.delete_faults, "DELETE"),
            ("/reset", self.reset, "POST"),
        ]
        routes: list[BaseRoute] = [
            Route(BASE + path, _guarded(endpoint), methods=[method])
            for path, endpoint, method in table
        ]
        routes.append(Route(person + "/tones", _guarded(self.press_tones), methods=["POST"]))
        routes.append(Route(person + "/hangup", _guarded(self.hang_up), methods=["POST"]))
        return routes

    async def page(self, request: Request) -> Response:
        calls = list(self._board.calls.values())
        return HTMLResponse(render_page(calls, _page_url(request)))

    async def list_calls(self, request: Request) -> Response:
        view = VIEWS.get(request.query_params.get("view", "full"))
        if view is None:
            raise bad_request(f"'view' must be one of: {', '.join(VIEWS)}.")
        calls = self._board.calls.values()
        return JSONResponse({"calls": [view(c) for c in calls], "callers": callers_json(calls)})

    async def get_call(self, request: Request) -> Response:
        return JSONResponse(call_json(self._board.get_call(request.path_params["call_leg_id"])))

    async def press_tones(self, request: Request) -> Response:
        call, participant = self._participant(request)
        body = await request.body()
        if _is_form(request):
            tones = parse_qs(body.decode("utf-8", "replace")).get("tones", [""])[0]
        else:
            tones = required_str(parse_json_object(body), "tones")
        if not tones or not TONES.match(tones):
            raise bad_request("'tones' must be one or more of 0-9, *, # and A-D.")
        self._board.press_tones(call, participant, tones.upper())
        return self._person_done(request, call, participant)

    async def hang_up(self, request: Request) -> Response:
        call, participant = self._participant(request)
        self._board.participant_hang_up(call, participant)
        return self._person_done(request, call, participant)

    def _participant(self, request: Request) -> tuple[Call, Participant]:
        call = self._board.get_call(request.path_params["call_leg_id"])
        return call, self._board.get_participant(call, request.path_params["participant_id"])

    def _person_done(self, request: Request, call: Call, participant: Participant) -> Response:
        if _is_form(request):
            # Post/redirect/get, so that reloading the page does not press the keys again.
            return RedirectResponse(_page_url(request), status_code=303)
        return JSONResponse(
            {
                "callLegId": call.call_leg_id,
                "participantId": participant.participant_id,
                "state": participant.state.value,
                "tonesPressed": participant.tones,
            }
        )

    async def list_behaviours(self, request: Request) -> Response:
        return JSONResponse(self._emulator.behaviours.to_json())

    async def put_behaviour(self, request: Request) -> Response:
        key = parse_target_key(request.path_params["target"])
        default_answer = self._emulator.config.default_answer_after_ms
        behaviour = parse_behaviour(parse_json_object(await request.body()), default_answer)
        self._emulator.behaviours.set(key, behaviour)
        return JSONResponse({"target": key, **behaviour.to_json()})

    async def delete_behaviour(self, request: Request) -> Response:
        self._emulator.behaviours.delete(parse_target_key(request.path_params["target"]))
        return Response(status_code=204)

    async def get_faults(self, request: Request) -> Response:
        return JSONResponse(self._emulator.faults.settings.to_json())

    async def put_faults(self, request: Request) -> Response:
        settings = parse_faults(parse_json_object(await request.body()))
        self._emulator.faults.configure(settings)
        return JSONResponse(settings.to_json())

    async def delete_faults(self, request: Request) -> Response:
        self._emulator.faults.clear()
        return Response(status_code=204)

    async def reset(self, request: Request) -> Response:
        await self._emulator.reset()
        return Response(status_code=204)
