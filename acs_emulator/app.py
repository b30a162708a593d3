"""The emulator as an ASGI application: `build_app(config)`, standalone or mounted under a prefix.

Mounted, the host server passes requests whose path starts with its prefix unchanged, with
`scope["root_path"]` set to the prefix (Starlette's convention); routing strips the prefix, while
signature checks use the raw path exactly as the client sent and signed it.
"""

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from acs_emulator.api import AcsApi
from acs_emulator.config import EmulatorConfig
from acs_emulator.control import ControlApi
from acs_emulator.emulator import Emulator
from acs_emulator.errors import ApiError, error_response
from acs_emulator.ga_api import GaApi

__all__ = ["EmulatorApp", "EmulatorConfig", "build_app"]


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths and wrong methods get the same flat error body as everything else.
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal error."
    code = {404: "NotFound", 405: "MethodNotAllowed"}.get(status, "Error")
    headers = exc.headers if isinstance(exc, HTTPException) else None
    return error_response(ApiError(status, code, str(detail), headers))


class EmulatorApp:
    """ASGI callable. Needs no lifespan: background work starts on first use in the serving loop.

    Call `aclose()` from that loop when done (tests, the standalone runner); `reset()` forgets all
    state, like `POST /emulator/reset`.
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.emulator = Emulator(config)
        routes = (
            AcsApi(self.emulator).routes()
            + GaApi(self.emulator).routes()
            + ControlApi(self.emulator).routes()
        )
        self._app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})

    @property
    def routes(self) -> list[BaseRoute]:
        """Every route the emulator answers, in the order it tries them."""
        return list(self._app.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    async def reset(self) -> None:
        await self.emulator.reset()

    async def aclose(self) -> None:
        await self.emulator.aclose()


def build_app(config: EmulatorConfig) -> EmulatorApp:
    return EmulatorApp(config)
