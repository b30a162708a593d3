"""Delivery of callback events: in order per call, retried with backoff, never blocking other calls.

Each call has its own queue and, while the queue is not empty, its own drain task; a slow or dead
callback endpoint therefore delays only the events of its own call.
"""

import json
import logging
from collections import deque

from acs_emulator.config import EmulatorConfig
from acs_emulator.faults import FaultInjector
from acs_emulator.fields import JsonObject
from acs_emulator.state import Call, Delivery, DeliveryStatus
from acs_emulator.tasks import TaskSet
from acs_emulator.transport import FetchError, Transport

logger = logging.getLogger(__name__)

# Backoff before retry n (milliseconds, scaled by time_scale); the last value repeats.
RETRY_BACKOFF_MS = (500, 1_000, 2_000, 4_000)


class CallbackDispatcher:
    def __init__(
        self, config: EmulatorConfig, faults: FaultInjector, transport: Transport, tasks: TaskSet
    ) -> None:
        self._config = config
        self._faults = faults
        self._transport = transport
        self._tasks = tasks
        self._queues: dict[str, deque[tuple[str, Delivery]]] = {}

    def send(self, call: Call, envelope: JsonObject) -> Delivery:
        """Record the event on the call and queue it behind the call's earlier events."""
        delivery = Delivery(envelope=envelope, copies=self._faults.callback_copies())
        call.deliveries.append(delivery)
        if delivery.copies == 0:
            delivery.status = DeliveryStatus.DROPPED
            return delivery
        queue = self._queues.get(call.call_leg_id)
        if queue is not None:
            queue.append((call.callback_uri, delivery))
            return delivery
        queue = self._queues[call.call_leg_id] = deque([(call.callback_uri, delivery)])
        self._tasks.spawn(self._drain(call.call_leg_id, queue), f"callbacks-{call.call_leg_id}")
        return delivery

    async def _drain(self, call_leg_id: str, queue: deque[tuple[str, Delivery]]) -> None:
        try:
            while queue:
                uri, delivery = queue[0]
                await self._deliver(uri, delivery)
                queue.popleft()
        finally:
            # No await between the empty check and this: a later send() starts a fresh drain.
            if self._queues.get(call_leg_id) is queue:
                del self._queues[call_leg_id]

    async def _deliver(self, uri: str, delivery: Delivery) -> None:
        # The preview service posted a JSON array holding one Event Grid event (ref. 1.2).
        body = json.dumps([delivery.envelope]).encode("utf-8")
        for copy in range(delivery.copies):
            if not await self._post_with_retries(uri, body, delivery):
                return
            if copy == 0:
                delivery.status = DeliveryStatus.DELIVERED
                logger.info("%s %s delivered", delivery.envelope["eventType"], _subject(delivery))

    async def _post_with_retries(self, uri: str, body: bytes, delivery: Delivery) -> bool:
        attempts = self._config.callback_attempts
        for attempt in range(1, attempts + 1):
            delivery.attempts += 1
            problem = await self._post(uri, body)
            if problem is None:
                return True
            if attempt == attempts:
                delivery.status = DeliveryStatus.FAILED
                logger.warning(
                    "giving up on %s %s to %s after %d attempts: %s",
                    delivery.envelope["eventType"],
                    _subject(delivery),
                    uri,
                    attempts,
                    problem,
                )
                return False
            backoff = RETRY_BACKOFF_MS[min(attempt, len(RETRY_BACKOFF_MS)) - 1]
            await self._config.pause(backoff)
        return False

    async def _post(self, uri: str, body: bytes) -> str | None:
        try:
            status = await self._transport.post_json(uri, body, self._config.callback_timeout_s)
        except FetchError as exc:
            return str(exc)
        return None if 200 <= status < 300 else f"HTTP {status}"

    def clear(self) -> None:
        """Forget queued events (their drain tasks are cancelled by the owner of the TaskSet)."""
        self._queues.clear()


def _subject(delivery: Delivery) -> object:
    return delivery.envelope["subject"]
