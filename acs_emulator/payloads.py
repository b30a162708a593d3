"""Request bodies of the 2021 preview operations, validated into dataclasses (400 on bad input)."""

from dataclasses import dataclass

from acs_emulator.errors import bad_request
from acs_emulator.fields import (
    JsonObject,
    optional_bool,
    optional_list,
    optional_str,
    required_http_url,
    required_list,
)
from acs_emulator.identifiers import Identifier, Kind, parse_caller_id, parse_identifier
from acs_emulator.state import Dialect, EventRequest

MODALITIES = ("audio", "video")
MAX_PARTICIPANTS = 350  # the per-call limit of ACS (reference section 5)


@dataclass(frozen=True)
class CreateCallRequest:
    source: Identifier
    targets: tuple[Identifier, ...]
    callback_uri: str
    modalities: tuple[str, ...]
    requested_events: frozenset[EventRequest]
    subject: str | None
    caller_id: Identifier | None
    dialect: Dialect = Dialect.PREVIEW
    operation_context: str | None = None
    source_display_name: str | None = None


@dataclass(frozen=True)
class PlayAudioRequest:
    audio_file_uri: str
    loop: bool
    operation_context: str | None
    audio_file_id: str | None


@dataclass(frozen=True)
class InviteRequest:
    participants: tuple[Identifier, ...]
    operation_context: str | None
    caller_id: Identifier | None
    callback_uri: str | None = None  # GA's operationCallbackUri


def parse_create_call(obj: JsonObject) -> CreateCallRequest:
    source = parse_identifier(obj.get("source"), "source")
    if source.kind is not Kind.COMMUNICATION_USER:
        raise bad_request("'source' must be a communicationUser (the application's ACS identity).")
    targets = _identifiers(required_list(obj, "targets"), "targets")
    caller_id = _caller_id(obj, "alternateCallerId", "sourceAlternateIdentity")
    _require_caller_id_for_phones(targets, caller_id, "targets")
    return CreateCallRequest(
        source=source,
        targets=targets,
        callback_uri=required_http_url(obj, "callbackUri"),
        modalities=_modalities(obj),
        requested_events=_requested_events(obj),
        subject=optional_str(obj, "subject"),
        caller_id=caller_id,
    )


def parse_play_audio(obj: JsonObject) -> PlayAudioRequest:
    # The documentation calls the cache id `resourceId`; the SDK sent `audioFileId`.
    audio_file_id = optional_str(obj, "audioFileId") or optional_str(obj, "resourceId")
    return PlayAudioRequest(
        audio_file_uri=required_http_url(obj, "audioFileUri"),
        loop=optional_bool(obj, "loop", False),
        operation_context=optional_str(obj, "operationContext"),
        audio_file_id=audio_file_id,
    )


def parse_cancel_media(obj: JsonObject) -> str | None:
    return optional_str(obj, "operationContext")


def parse_invite(obj: JsonObject, call_caller_id: Identifier | None) -> InviteRequest:
    participants = _identifiers(required_list(obj, "participants"), "participants")
    # An invite without its own caller id dials phones with the call's one.
    caller_id = _caller_id(obj, "alternateCallerId") or call_caller_id
    _require_caller_id_for_phones(participants, caller_id, "participants")
    return InviteRequest(participants, optional_str(obj, "operationContext"), caller_id)


def _identifiers(values: list[object], name: str) -> tuple[Identifier, ...]:
    if len(values) > MAX_PARTICIPANTS:
        raise bad_request(f"'{name}' may hold at most {MAX_PARTICIPANTS} identifiers.")
    identifiers = tuple(parse_identifier(v, f"{name}[{i}]") for i, v in enumerate(values))
    if len(set(identifiers)) != len(identifiers):
        raise bad_request(f"'{name}' lists the same identifier twice.")
    return identifiers


def _caller_id(obj: JsonObject, *names: str) -> Identifier | None:
    for name in names:
        if obj.get(name) is not None:
            return parse_caller_id(obj[name], name)
    return None


def _require_caller_id_for_phones(
    identifiers: tuple[Identifier, ...], caller_id: Identifier | None, name: str
) -> None:
    if caller_id is None and any(i.is_phone for i in identifiers):
        raise bad_request(
            f"Calling a phone number in '{name}' needs a caller id "
            "('alternateCallerId' or 'sourceAlternateIdentity')."
        )


def _modalities(obj: JsonObject) -> tuple[str, ...]:
    values = required_list(obj, "requestedModalities")
    return tuple(_choice(v, MODALITIES, "requestedModalities") for v in values)


def _requested_events(obj: JsonObject) -> frozenset[EventRequest]:
    values = optional_list(obj, "requestedCallEvents") or []
    choices = tuple(e.value for e in EventRequest)
    return frozenset(EventRequest(_choice(v, choices, "requestedCallEvents")) for v in values)


def _choice(value: object, choices: tuple[str, ...], name: str) -> str:
    # The service's enums are "expandable strings" compared without regard to case.
    if isinstance(value, str):
        for choice in choices:
            if value.lower() == choice.lower():
                return choice
    raise bad_request(f"'{name}' values must be among: {', '.join(choices)}.")
