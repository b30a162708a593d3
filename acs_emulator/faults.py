"""Fault injection for tests and demos: failing, throttled or slow requests; dropped, doubled or
delayed callbacks.

Random faults draw from one `random.Random(seed)`, so a seeded run is repeatable. `failNext` fails
the next N signed requests outright, for tests that need exact retry counts.
"""

import random
from dataclasses import dataclass, field, replace
from http import HTTPStatus

from acs_emulator.errors import ApiError, bad_request
from acs_emulator.fields import (
    JsonObject,
    optional_int,
    optional_rate,
    optional_str,
    reject_unknown,
    require_object,
)

FAULT_FIELDS = (
    "error500Rate",
    "throttleRate",
    "retryAfterSeconds",
    "slowRate",
    "slowMs",
    "dropCallbackRate",
    "duplicateCallbackRate",
    "delayCallbackRate",
    "delayCallbackMs",
    "seed",
    "failNext",
    "createResponseAfter",
)
FAIL_NEXT_FIELDS = ("status", "count", "retryAfterSeconds")
MAX_SLOW_MS = 120_000
MAX_CALLBACK_DELAY_MS = 600_000


@dataclass(frozen=True)
class FailNext:
    status: int
    count: int
    retry_after_seconds: int | None = None


@dataclass(frozen=True)
class FaultSettings:
    error500_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after_seconds: int = 1
    slow_rate: float = 0.0
    slow_ms: int = 2_000
    drop_callback_rate: float = 0.0
    duplicate_callback_rate: float = 0.0
    # A delayed callback holds up its call's later ones too: delivery stays in order per call.
    delay_callback_rate: float = 0.0
    delay_callback_ms: int = 5_000
    seed: int | None = None
    fail_next: FailNext | None = None
    # An event type without its prefix ("CallConnected", "CallLegStateChanged"): every
    # create-call is answered only after that event of the new call was delivered.
    create_response_after: str | None = None

    def to_json(self) -> JsonObject:
        fail_next = self.fail_next
        return {
            "error500Rate": self.error500_rate,
            "throttleRate": self.throttle_rate,
            "retryAfterSeconds": self.retry_after_seconds,
            "slowRate": self.slow_rate,
            "slowMs": self.slow_ms,
            "dropCallbackRate": self.drop_callback_rate,
            "duplicateCallbackRate": self.duplicate_callback_rate,
            "delayCallbackRate": self.delay_callback_rate,
            "delayCallbackMs": self.delay_callback_ms,
            "seed": self.seed,
            "failNext": None
            if fail_next is None
            else {
                "status": fail_next.status,
                "count": fail_next.count,
                "retryAfterSeconds": fail_next.retry_after_seconds,
            },
            "createResponseAfter": self.create_response_after,
        }


def parse_faults(obj: JsonObject) -> FaultSettings:
    """Validate a `PUT /emulator/faults` body (it replaces all settings); raise a 400 ApiError."""
    reject_unknown(obj, FAULT_FIELDS, "faults")
    seed = obj.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise bad_request("'seed' must be an integer.")
    return FaultSettings(
        error500_rate=optional_rate(obj, "error500Rate"),
        throttle_rate=optional_rate(obj, "throttleRate"),
        retry_after_seconds=_int(obj, "retryAfterSeconds", 1, 3600),
        slow_rate=optional_rate(obj, "slowRate"),
        slow_ms=_int(obj, "slowMs", 2_000, MAX_SLOW_MS),
        drop_callback_rate=optional_rate(obj, "dropCallbackRate"),
        duplicate_callback_rate=optional_rate(obj, "duplicateCallbackRate"),
        delay_callback_rate=optional_rate(obj, "delayCallbackRate"),
        delay_callback_ms=_int(obj, "delayCallbackMs", 5_000, MAX_CALLBACK_DELAY_MS),
        seed=seed,
        fail_next=_fail_next(obj.get("failNext")),
        create_response_after=_event_name(obj),
    )


def _event_name(obj: JsonObject) -> str | None:
    name = optional_str(obj, "createResponseAfter")
    if name is not None and not name.isalpha():
        raise bad_request("'createResponseAfter' must be an event type such as CallConnected.")
    return name


def _int(obj: JsonObject, key: str, default: int, high: int) -> int:
    value = optional_int(obj, key, default, low=0, high=high)
    return default if value is None else value


def _fail_next(value: object) -> FailNext | None:
    if value is None:
        return None
    obj = require_object(value, "failNext")
    reject_unknown(obj, FAIL_NEXT_FIELDS, "failNext")
    status = optional_int(obj, "status", 500, low=400, high=599)
    count = optional_int(obj, "count", 1, low=0, high=1_000_000)
    if status is None or count is None or status not in HTTPStatus.__members__.values():
        raise bad_request("'failNext.status' must be a known HTTP error status (400-599).")
    retry_after = optional_int(obj, "retryAfterSeconds", None, low=0, high=3600)
    return FailNext(status, count, retry_after)


@dataclass
class RequestFault:
    error: ApiError | None = None
    delay_s: float = 0.0


@dataclass
class FaultInjector:
    settings: FaultSettings = field(default_factory=FaultSettings)
    rng: random.Random = field(default_factory=random.Random)

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        # Not for security: a seeded generator makes injected faults repeatable.
        self.rng = random.Random(settings.seed)  # noqa: S311

    def clear(self) -> None:
        self.configure(FaultSettings())

    def draw(self) -> RequestFault:
        """Decide the fate of one signed request."""
        fail_next = self.settings.fail_next
        if fail_next is not None and fail_next.count > 0:
            remaining = replace(fail_next, count=fail_next.count - 1)
            self.settings = replace(self.settings, fail_next=remaining)
            retry_after = fail_next.retry_after_seconds
            if retry_after is None:
                retry_after = self.settings.retry_after_seconds
            return RequestFault(error=_injected(fail_next.status, retry_after))
        if self._hit(self.settings.throttle_rate):
            return RequestFault(error=_injected(429, self.settings.retry_after_seconds))
        if self._hit(self.settings.error500_rate):
            return RequestFault(error=_injected(500, None))
        if self._hit(self.settings.slow_rate):
            return RequestFault(delay_s=self.settings.slow_ms / 1000)
        return RequestFault()

    def callback_copies(self) -> int:
        """How many times to deliver the next callback: 0 (dropped), 1, or 2 (duplicated)."""
        if self._hit(self.settings.drop_callback_rate):
            return 0
        return 2 if self._hit(self.settings.duplicate_callback_rate) else 1

    def callback_delay_ms(self) -> int:
        """How long to hold the next delivered callback back (0: not at all)."""
        delayed = self._hit(self.settings.delay_callback_rate)
        return self.settings.delay_callback_ms if delayed else 0

    def _hit(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate


def _injected(status: int, retry_after: int | None) -> ApiError:
    phrase = HTTPStatus(status).phrase
    headers = {}
    if status in (429, 503) and retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    code = "".join(ch for ch in phrase.title() if ch.isalnum())
    return ApiError(status, code, f"Injected fault: {phrase}.", headers)
