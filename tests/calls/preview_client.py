"""The 2021 preview client (calls.client) on client_wire's provider, the call its tests place,
and the answer the preview gives an accepted media operation."""

import json
from typing import Any

import httpx

from calls.client import CallAutomationClient
from calls.provider_types import CallLeg
from calls.retry_policy import RetryPolicy
from tests.calls.client_wire import CONNECTION_STRING, FakeProvider, Reply, call_arguments

QUERY = "?api-version=2021-04-15-preview1"
CALL = "411f0b00-0b5b-4a3b-8a42-6e2f4f7b9d10"


def make_client(
    *replies: Reply, retry: RetryPolicy | None = None, **options: Any
) -> tuple[CallAutomationClient, FakeProvider, list[float]]:
    provider = FakeProvider(list(replies))
    sleeps: list[float] = []
    client = CallAutomationClient(
        CONNECTION_STRING,
        transport=httpx.MockTransport(provider),
        sleep=sleeps.append,
        retry=retry or RetryPolicy(),
        **options,
    )
    return client, provider, sleeps


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def create_call(client: CallAutomationClient, **overrides: Any) -> CallLeg:
    arguments = call_arguments(
        targets=["+15550100", "8:acs:alice"],
        callback_url="https://app.example/calls/callback?secret=s",
    )
    return client.create_call(**(arguments | overrides))


def accepted_operation(status: str = "notStarted", context: str = "play-1") -> httpx.Response:
    return httpx.Response(
        202,
        json={"id": "op-1", "status": status, "operationContext": context, "resultInfo": None},
    )
