"""The live incident page's WebSocket: a thin relay of events that services broadcast."""

from typing import Any, cast

from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.http import QueryDict

from callouts.console import RecipientPage
from config.websockets import JsonFrameConsumer
from incidents.events import INCIDENT_EVENTS, INCIDENT_LIST_GROUP, incident_group
from incidents.forms import RecipientFilterForm
from incidents.models import Incident
from incidents.selectors import get_incident_for, incident_snapshot, may_view_incidents


class IncidentConsumer(JsonFrameConsumer):
    """Sends a snapshot on connect and on request ({"type": "resync"}), then every event.

    A call-out's snapshot holds the page of its recipient table that the socket's address asks
    for, as the page's does (`?status=&page=`). Refuses (HTTP 403 at the handshake) anonymous
    users and incidents the user may not see.
    """

    group_name = ""
    recipients = RecipientPage()

    async def connect(self) -> None:
        user = self.scope.get("user")
        incident_id = int(self.scope["url_route"]["kwargs"]["incident_id"])
        if user is None or not user.is_authenticated:
            await self.close()
            return
        try:
            await database_sync_to_async(get_incident_for)(cast(User, user), incident_id)
        except Incident.DoesNotExist:
            await self.close()
            return
        self.incident_id = incident_id
        query = QueryDict(self.scope.get("query_string", b""))
        self.recipients = RecipientFilterForm(query).recipient_page()
        self.group_name = incident_group(incident_id)
        # Join before taking the snapshot, so no event falls between the two.
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self._send_snapshot()

    async def disconnect(self, code: int) -> None:
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "resync":
            await self._send_snapshot()
        else:
            await self.send_json({"type": "error", "code": "unknown_message_type"})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, a round trip to
        # the sync thread per frame per socket; relaying events touches no database.
        if message["type"] == INCIDENT_EVENTS:
            await self.incident_events(message)
        else:
            await super().dispatch(message)

    async def incident_events(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "events", "events": message["events"]})

    async def _send_snapshot(self) -> None:
        snapshot = await database_sync_to_async(incident_snapshot)(
            self.incident_id, self.recipients
        )
        await self.send_json({"type": "snapshot", **snapshot})


class IncidentListConsumer(JsonFrameConsumer):
    """Tells the list page when an incident was declared or changed; the page then fetches its
    rows again (see incidents.events). Refuses users who may not see incidents."""

    joined = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not await database_sync_to_async(may_view_incidents)(cast(User, user)):
            await self.close()
            return
        await self.channel_layer.group_add(INCIDENT_LIST_GROUP, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(INCIDENT_LIST_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json({"type": "error", "code": "unknown_message_type"})

    async def incident_list_changed(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "changed", "incident": message["incident"]})
