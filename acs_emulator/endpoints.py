"""The wrapper every signed ACS request of either dialect goes through.

HMAC is verified first (401), then the dialect's api-version check, then fault injection, then the
handler. Injected errors (500, 429) happen before the operation; an injected slow response delays
the reply after it, which is the case a client's repeatability headers exist for.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from acs_emulator.callbacks import event_type
from acs_emulator.emulator import Emulator
from acs_emulator.errors import ApiError
from acs_emulator.signature import SignatureError, SignedRequest, request_target, verify
from acs_emulator.state import Call, CallState, DeliveryStatus

Handler = Callable[[Request, bytes], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
VersionCheck = Callable[[Request], None]
ErrorRenderer = Callable[[ApiError], JSONResponse]
# An injected "answer after the event" fault waits at most this long (real seconds).
MAX_HOLD_S = 60.0


def signed(
    emulator: Emulator, handler: Handler, check_version: VersionCheck, render: ErrorRenderer
) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            body = await request.body()
            authenticate(emulator, request, body)
            check_version(request)
            fault = emulator.faults.draw()
            if fault.error is not None:
                raise fault.error
            response = await handler(request, body)
        except ApiError as error:
            return render(error)
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        return response

    return endpoint


def authenticate(emulator: Emulator, request: Request, body: bytes) -> None:
    signed_request = SignedRequest(
        request.method, request_target(request.scope), request.headers, body
    )
    config = emulator.config
    # The GA SDK signs its endpoint's authority and path ("host/prefix") as the host when the
    # endpoint has a path: accepted for a mounted emulator.
    prefix = str(request.scope.get("root_path", ""))
    try:
        verify(
            signed_request, config.key, datetime.now(UTC), config.max_clock_skew, host_suffix=prefix
        )
    except SignatureError as exc:
        raise ApiError(401, "Unauthorized", f"HMAC authentication failed: {exc}.") from exc


async def hold_until_delivered(emulator: Emulator, call: Call) -> None:
    """The `createResponseAfter` fault: answer a create-call only once the named event of the
    new call was delivered (or the call ended, or after MAX_HOLD_S), so that the event beats
    the response (reference 3.6)."""
    name = emulator.faults.settings.create_response_after
    if name is None:
        return
    suffix = "." + name
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAX_HOLD_S
    while not _delivered(call, suffix) and loop.time() < deadline:
        call.delivered.clear()
        try:
            async with asyncio.timeout(max(deadline - loop.time(), 0)):
                await call.delivered.wait()
        except TimeoutError:
            return
        if call.state is CallState.TERMINATED:
            return


def _delivered(call: Call, suffix: str) -> bool:
    return any(
        d.status is DeliveryStatus.DELIVERED and str(event_type(d.envelope)).endswith(suffix)
        for d in call.deliveries
    )
