"""Delivery of callback events: in order per call, retried with backoff, never blocking other calls.

Each call has its own queue and, while the queue is not empty, its own drain task; a slow or dead
callback endpoint therefore delays only the events of its own call. A GA call's callbacks carry a
fresh `Authorization: Bearer <JWT>` on every attempt (reference 3.7).
"""

import json
import logging
from collections import deque
from datetime import UTC, datetime

from acs_emulator.config import EmulatorConfig
from acs_emulator.faults import FaultInjector
from acs_emulator.fields import JsonObject
from acs_emulator.state import Call, Delivery, DeliveryStatus
from acs_emulator.tasks import TaskSet
from acs_emulator.tokens import TokenSigner
from acs_emulator.transport import FetchError, Transport

logger = logging.getLogger(__name__)

# Backoff before retry n (milliseconds, scaled by time_scale); the last value repeats.
RETRY_BACKOFF_MS = (500, 1_000, 2_000, 4_000)


class CallbackDispatcher:
    def __init__(
        self,
        config: EmulatorConfig,
        faults: FaultInjector,
        transport: Transport,
        tasks: TaskSet,
        signer: TokenSigner,
    ) -> None:
        self._config = config
        self._faults = faults
        self._transport = transport
        self._tasks = tasks
        self._signer = signer
        self._queues: dict[str, deque[tuple[Call, Delivery]]] = {}

    def send(self, call: Call, envelope: JsonObject, uri: str | None = None) -> Delivery:
        """Record the event on the call and queue it behind the call's earlier events; `uri`
        overrides the call's callback URI (GA's operationCallbackUri)."""
        delivery = Delivery(
            envelope=envelope,
            uri=uri or call.callback_uri,
            copies=self._faults.callback_copies(),
        )
        call.deliveries.append(delivery)
        if delivery.copies == 0:
            delivery.status = DeliveryStatus.DROPPED
            return delivery
        delivery.delay_ms = self._faults.callback_delay_ms()
        queue = self._queues.get(call.call_leg_id)
        if queue is not None:
            queue.append((call, delivery))
            return delivery
        queue = self._queues[call.call_leg_id] = deque([(call, delivery)])
        self._tasks.spawn(self._drain(call.call_leg_id, queue), f"callbacks-{call.call_leg_id}")
        return delivery

    async def _drain(self, call_leg_id: str, queue: deque[tuple[Call, Delivery]]) -> None:
        try:
            while queue:
                call, delivery = queue[0]
                if delivery.delay_ms:
                    await self._config.pause(delivery.delay_ms)
                await self._deliver(call.token_issuer, delivery)
                call.delivered.set()
                queue.popleft()
        finally:
            # No await between the empty check and this: a later send() starts a fresh drain.
            if self._queues.get(call_leg_id) is queue:
                del self._queues[call_leg_id]

    async def _deliver(self, issuer: str | None, delivery: Delivery) -> None:
        # Both dialects post a JSON array holding one event (ref. 1.2, 3.6).
        body = json.dumps([delivery.envelope]).encode("utf-8")
        for copy in range(delivery.copies):
            if not await self._post_with_retries(issuer, body, delivery):
                return
            if copy == 0:
                delivery.status = DeliveryStatus.DELIVERED
                logger.info("%s %s delivered", event_type(delivery.envelope), _subject(delivery))

    async def _post_with_retries(self, issuer: str | None, body: bytes, delivery: Delivery) -> bool:
        attempts = self._config.callback_attempts
        uri = delivery.uri
        for attempt in range(1, attempts + 1):
            delivery.attempts += 1
            headers = {}
            if issuer is not None:
                token = self._signer.sign(issuer, datetime.now(UTC))
                headers["authorization"] = f"Bearer {token}"
            problem = await self._post(uri, body, headers)
            if problem is None:
                return True
            if attempt == attempts:
                delivery.status = DeliveryStatus.FAILED
                logger.warning(
                    "giving up on %s %s to %s after %d attempts: %s",
                    event_type(delivery.envelope),
                    _subject(delivery),
                    uri,
                    attempts,
                    problem,
                )
                return False
            backoff = RETRY_BACKOFF_MS[min(attempt, len(RETRY_BACKOFF_MS)) - 1]
            await self._config.pause(backoff)
        return False

    async def _post(self, uri: str, body: bytes, headers: dict[str, str]) -> str | None:
        try:
            timeout = self._config.callback_timeout_s
            status = await self._transport.post_json(uri, body, timeout, headers)
        except FetchError as exc:
            return str(exc)
        return None if 200 <= status < 300 else f"HTTP {status}"

    def clear(self) -> None:
        """Forget queued events (their drain tasks are cancelled by the owner of the TaskSet)."""
        self._queues.clear()


def event_type(envelope: JsonObject) -> object:
    """`eventType` of a 2021 Event Grid event, `type` of a GA CloudEvent."""
    return envelope.get("eventType") or envelope.get("type")


def _subject(delivery: Delivery) -> object:
    return delivery.envelope["subject"]
