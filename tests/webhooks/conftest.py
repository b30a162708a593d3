"""Webhooks under test: the receiver faked at the transport (httpx.MockTransport), answering
from a script, recording every request it got."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from webhooks.client import WebhookClient, install_client
from webhooks.models import Delivery


class Receiver:
    """Answers each POST with the next scripted status (raises the scripted error, or answers
    what the scripted function returns); 200 once the script runs out."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.script: list[int | Exception | Callable[[httpx.Request], int]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.script.pop(0) if self.script else 200
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            answer = answer(request)
        return httpx.Response(answer)

    def verified(self, secret: str, index: int = -1) -> dict[str, Any]:
        """The body of request `index`, verified with `secret` as a receiver would."""
        request = self.requests[index]
        body: dict[str, Any] = Webhook(secret).verify(request.content, dict(request.headers))
        return body


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    fake = Receiver()
    install_client(WebhookClient(transport=httpx.MockTransport(fake.handle)))
    try:
        yield fake
    finally:
        install_client(None)


def sole_delivery() -> Delivery:
    return Delivery.objects.select_related("subscription").get()
