"""Real HTTP servers for the tests: uvicorn in a background thread, and a callback receiver."""

import asyncio
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

# Callback bodies are JSON from the wire; tests index into them freely.
Event = dict[str, Any]


class ServerThread:
    """Serves an ASGI app on 127.0.0.1 (free port) from its own thread and event loop."""

    def __init__(self, app: ASGIApp, on_stop: Callable[[], Awaitable[None]] | None = None) -> None:
        self._on_stop = on_stop
        # proto must say TCP: asyncio sets TCP_NODELAY only then, and without it every response
        # (headers, then body) waits ~40 ms for a delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, lifespan="off", log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _main(self) -> None:
        try:
            await self._server.serve(sockets=[self._socket])
        finally:
            if self._on_stop is not None:
                await self._on_stop()

    def start(self) -> "ServerThread":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def mount_under(prefix: str, app: ASGIApp) -> ASGIApp:
    """Dispatch like the app's server: full path kept, `root_path` set to the prefix."""

    async def host(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == prefix or path.startswith(prefix + "/")):
            await app({**scope, "root_path": prefix}, receive, send)
            return
        await PlainTextResponse("the host app")(scope, receive, send)

    return host


@dataclass
class Post:
    path: str
    query: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Receiver:
    """The application side in these tests: records callbacks and serves audio files."""

    url: str = ""
    posts: list[Post] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    failures_to_answer: int = 0
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/callbacks/{name}", self._callback, methods=["POST"]),
                Route("/audio/{name}", self._audio, methods=["GET"]),
            ]
        )

    async def _callback(self, request: Request) -> Response:
        body = json.loads(await request.body())
        with self._lock:
            if self.failures_to_answer > 0:
                self.failures_to_answer -= 1
                return Response(status_code=503)
            post = Post(request.url.path, request.url.query, body, dict(request.headers))
            self.posts.append(post)
            self._lock.notify_all()
        return Response(status_code=200)

    async def _audio(self, request: Request) -> Response:
        data = self.files.get(request.path_params["name"])
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="audio/wav")

    def clear(self) -> None:
        with self._lock:
            self.posts.clear()
            self.files.clear()
            self.failures_to_answer = 0

    def events(self, call_leg_id: str | None = None) -> list[Event]:
        """Every envelope received (each POST holds a one-element array), optionally for a call."""
        with self._lock:
            envelopes = [e for post in self.posts for e in _as_list(post.body)]
        if call_leg_id is None:
            return envelopes
        return [e for e in envelopes if _is_about(e, call_leg_id)]

    def wait_for(
        self,
        call_leg_id: str,
        event_type: str,
        match: Callable[[Event], bool] = lambda data: True,
        timeout: float = 5.0,
    ) -> Event:
        """The first event of that type for the call whose data matches; fail after `timeout`."""
        full_type = "Microsoft.Communication." + event_type
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event in self.events(call_leg_id):
                    data = event.get("data")
                    if _event_type(event) == full_type and isinstance(data, dict) and match(data):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [_event_type(e) for e in self.events(call_leg_id)]
                    raise AssertionError(f"no {event_type} for {call_leg_id}; saw {seen}")
                self._lock.wait(remaining)


def _as_list(body: object) -> list[Event]:
    if isinstance(body, list):
        return [e for e in body if isinstance(e, dict)]
    return [body] if isinstance(body, dict) else []


def _is_about(event: Event, call_id: str) -> bool:
    # 2021: "callLeg/<id>/<kind>"; GA CloudEvents: "calling/callConnections/<id>".
    subject = str(event.get("subject"))
    return f"callLeg/{call_id}/" in subject or subject.endswith(f"callConnections/{call_id}")


def _event_type(event: Event) -> object:
    return event.get("eventType") or event.get("type")
