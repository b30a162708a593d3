"""The GA client (calls.client_ga) on client_wire's provider, the call its tests place, the
identifiers as GA writes them, and GA's error answer."""

import json
from typing import Any

import httpx

from calls.client_ga import GaCallAutomationClient
from calls.provider_types import CallLeg
from calls.retry_policy import NO_RETRY, RetryPolicy
from tests.calls.client_wire import BASE, CONNECTION_STRING, FakeProvider, Reply, call_arguments

VERSION = "2024-09-15"
CALL = "411f0b00-aaaa-bbbb-cccc-000000000001"
CONNECTION = f"{BASE}/calling/callConnections/{CALL}"
FIRST_SENT_HTTP = "Wed, 13 Apr 2022 18:09:00 GMT"
PHONE = {"kind": "phoneNumber", "rawId": "4:+15550100", "phoneNumber": {"value": "+15550100"}}
USER = {"kind": "communicationUser", "rawId": "8:acs:bob", "communicationUser": {"id": "8:acs:bob"}}


def make_client(
    *replies: Reply, retry: RetryPolicy = NO_RETRY
) -> tuple[GaCallAutomationClient, FakeProvider, list[float]]:
    provider = FakeProvider(list(replies))
    sleeps: list[float] = []
    client = GaCallAutomationClient(
        CONNECTION_STRING,
        api_version=VERSION,
        transport=httpx.MockTransport(provider),
        sleep=sleeps.append,
        retry=retry,
    )
    return client, provider, sleeps


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


def create_call(client: GaCallAutomationClient, **overrides: Any) -> CallLeg:
    arguments = call_arguments(
        targets=["+15550100"], callback_url="https://app.example/calls/1/events/s/"
    )
    return client.create_call(**(arguments | overrides))


def error(status: int, code: str = "8501", message: str = "Nope", **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": message}}, headers=headers
    )
