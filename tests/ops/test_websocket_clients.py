"""incident_reporter_websocket_clients counts the sockets the app accepted, until they close."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from incidents.metrics import WEBSOCKET_CLIENTS
from tests.factories import IncidentFactory

# serialized_rollback keeps the role groups the data migration made.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def application() -> Any:
    # Imported here: AllowedHostsOriginValidator reads ALLOWED_HOSTS at import time.
    from config.asgi import application

    return application


async def socket(application: Any, path: str, user: User | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def connected() -> float:
    (family,) = WEBSOCKET_CLIENTS.collect()
    return family.samples[0].value


async def test_accepted_sockets_count_until_they_close(application: Any, viewer: User) -> None:
    incident = await sync_to_async(IncidentFactory.create)()
    start = connected()
    page = await socket(application, f"/ws/incidents/{incident.pk}/", viewer)
    listing = await socket(application, "/ws/incidents/", viewer)
    assert (await page.connect())[0] and (await listing.connect())[0]
    await page.receive_json_from()  # the snapshot
    assert connected() == start + 2
    await page.disconnect()
    assert connected() == start + 1
    await listing.disconnect()
    assert connected() == start


async def test_refused_sockets_are_not_counted(application: Any) -> None:
    incident = await sync_to_async(IncidentFactory.create)()
    start = connected()
    anonymous = await socket(application, f"/ws/incidents/{incident.pk}/", None)
    assert not (await anonymous.connect())[0]
    await anonymous.disconnect()
    assert connected() == start
