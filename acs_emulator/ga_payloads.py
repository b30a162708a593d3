"""Request bodies of the GA operations (reference 3.2), validated into dataclasses (400 on bad
input). Fields the emulator does not act on (media streaming, transcription, ...) are ignored."""

import ipaddress
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from acs_emulator.config import EMULATOR_RESOURCE_ID
from acs_emulator.errors import bad_request
from acs_emulator.fields import (
    JsonObject,
    optional_bool,
    optional_int,
    optional_list,
    optional_str,
    require_object,
    required_list,
    required_str,
)
from acs_emulator.identifiers import (
    Identifier,
    Kind,
    communication_user,
    parse_caller_id,
    parse_ga_identifier,
)
from acs_emulator.payloads import MAX_PARTICIPANTS, CreateCallRequest, InviteRequest
from acs_emulator.state import Dialect, Operation, PlaySource, SourceKind

MAX_TEXT_CHARACTERS = 4_000  # the documented limit of a text source (reference 3.9)
MAX_SOURCES = 10
# GA tone names (reference 3.6) by key.
TONE_NAMES = {
    str(d): n
    for d, n in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
}
TONE_NAMES |= {"A": "a", "B": "b", "C": "c", "D": "d", "#": "pound", "*": "asterisk"}
LOOPBACK_NAMES = ("localhost",)


def default_source() -> Identifier:
    """The application's own identity when a create-call names none: a user of the resource."""
    return Identifier(Kind.COMMUNICATION_USER, f"8:acs:{EMULATOR_RESOURCE_ID}_{uuid.uuid4()}")


@dataclass(frozen=True)
class PlayRequest:
    sources: tuple[PlaySource, ...]
    play_to: tuple[Identifier, ...]  # empty: everyone
    loop: bool
    interrupt: bool
    operation: Operation


@dataclass(frozen=True)
class RecognizeRequest:
    target: Identifier
    prompts: tuple[PlaySource, ...]
    interrupt_prompt: bool
    interrupt: bool
    initial_silence_timeout_s: int
    inter_tone_timeout_s: int
    max_tones: int
    stop_tones: frozenset[str]
    operation: Operation


def parse_create_call(obj: JsonObject, *, allow_http: bool) -> CreateCallRequest:
    targets = _identifiers(required_list(obj, "targets"), "targets")
    caller_id = _caller_id(obj)
    if caller_id is None and any(t.is_phone for t in targets):
        raise bad_request("Calling a phone number needs 'sourceCallerIdNumber'.")
    source = default_source()
    if obj.get("source") is not None:
        inner = require_object(obj["source"], "source")
        source = communication_user(inner.get("id"), "source.id")
    return CreateCallRequest(
        source=source,
        targets=targets,
        callback_uri=callback_uri(obj, "callbackUri", allow_http, required=True) or "",
        modalities=("audio",),
        requested_events=frozenset(),
        subject=None,
        caller_id=caller_id,
        dialect=Dialect.GA,
        operation_context=optional_str(obj, "operationContext"),
        source_display_name=optional_str(obj, "sourceDisplayName"),
    )


def parse_add_participant(
    obj: JsonObject, call_caller_id: Identifier | None, *, allow_http: bool
) -> InviteRequest:
    participant = parse_ga_identifier(obj.get("participantToAdd"), "participantToAdd")
    caller_id = _caller_id(obj) or call_caller_id
    if caller_id is None and participant.is_phone:
        raise bad_request("Adding a phone number needs 'sourceCallerIdNumber'.")
    optional_int(obj, "invitationTimeoutInSeconds", None, low=0, high=180)
    operation = parse_operation(obj, allow_http=allow_http)
    return InviteRequest((participant,), operation.context, caller_id, operation.callback_uri)


def parse_operation(obj: JsonObject, *, allow_http: bool) -> Operation:
    """`operationContext` and `operationCallbackUri`, which every mid-call action takes."""
    uri = callback_uri(obj, "operationCallbackUri", allow_http, required=False)
    return Operation(optional_str(obj, "operationContext"), uri)


def parse_target(obj: JsonObject, key: str) -> Identifier:
    return parse_ga_identifier(obj.get(key), key)


def parse_mute(obj: JsonObject) -> Identifier:
    targets = required_list(obj, "targetParticipants")
    if len(targets) != 1:
        raise bad_request("'targetParticipants' must hold exactly one participant.")
    return parse_ga_identifier(targets[0], "targetParticipants[0]")


def parse_play(obj: JsonObject, *, allow_http: bool) -> PlayRequest:
    sources = _sources(required_list(obj, "playSources"), "playSources")
    options = require_object(obj.get("playOptions") or {}, "playOptions")
    return PlayRequest(
        sources=sources,
        play_to=_identifiers(optional_list(obj, "playTo") or [], "playTo"),
        loop=optional_bool(options, "loop", False),
        interrupt=optional_bool(obj, "interruptCallMediaOperation", False),
        operation=parse_operation(obj, allow_http=allow_http),
    )


def parse_recognize(obj: JsonObject, *, allow_http: bool) -> RecognizeRequest:
    kind = required_str(obj, "recognizeInputType")
    if kind.lower() != "dtmf":
        raise bad_request("The emulator recognizes 'dtmf' input only.")
    options = require_object(obj.get("recognizeOptions"), "recognizeOptions")
    dtmf = require_object(options.get("dtmfOptions") or {}, "recognizeOptions.dtmfOptions")
    prompts: list[object] = optional_list(obj, "playPrompts") or []
    if obj.get("playPrompt") is not None:
        prompts = [obj["playPrompt"], *prompts]
    return RecognizeRequest(
        target=parse_ga_identifier(options.get("targetParticipant"), "targetParticipant"),
        prompts=_sources(prompts, "playPrompts") if prompts else (),
        interrupt_prompt=optional_bool(options, "interruptPrompt", False),
        interrupt=optional_bool(obj, "interruptCallMediaOperation", False),
        initial_silence_timeout_s=_int(options, "initialSilenceTimeoutInSeconds", 5, 1, 300),
        inter_tone_timeout_s=_int(dtmf, "interToneTimeoutInSeconds", 2, 1, 60),
        max_tones=_int(dtmf, "maxTonesToCollect", 1, 1, 255),
        stop_tones=_stop_tones(dtmf),
        operation=parse_operation(obj, allow_http=allow_http),
    )


def callback_uri(obj: JsonObject, key: str, allow_http: bool, *, required: bool) -> str | None:
    """An absolute https URI; http only to a loopback host (local development) or when the
    emulator allows http everywhere. ACS refuses http: "The field CallbackUri is invalid"."""
    value = optional_str(obj, key)
    if value is None and not required:
        return None
    try:
        parts = urlsplit(value or "")
        host = parts.hostname or ""
    except ValueError:
        raise bad_request(f"The field {key} is invalid.") from None
    https = parts.scheme == "https"
    local_http = parts.scheme == "http" and (allow_http or _is_loopback(host))
    if not host or not (https or local_http):
        raise bad_request(f"The field {key} is invalid: it must be an absolute https URI.")
    return value


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _identifiers(values: list[object], name: str) -> tuple[Identifier, ...]:
    if len(values) > MAX_PARTICIPANTS:
        raise bad_request(f"'{name}' may hold at most {MAX_PARTICIPANTS} identifiers.")
    identifiers = tuple(parse_ga_identifier(v, f"{name}[{i}]") for i, v in enumerate(values))
    if len(set(identifiers)) != len(identifiers):
        raise bad_request(f"'{name}' lists the same identifier twice.")
    return identifiers


def _caller_id(obj: JsonObject) -> Identifier | None:
    value = obj.get("sourceCallerIdNumber")
    return None if value is None else parse_caller_id(value, "sourceCallerIdNumber")


def _sources(values: list[object], name: str) -> tuple[PlaySource, ...]:
    if not values or len(values) > MAX_SOURCES:
        raise bad_request(f"'{name}' must hold 1 to {MAX_SOURCES} play sources.")
    return tuple(
        _source(require_object(v, f"{name}[{i}]"), f"{name}[{i}]") for i, v in enumerate(values)
    )


def _source(value: object, name: str) -> PlaySource:
    obj = require_object(value, name)
    kind = (optional_str(obj, "kind") or "").lower()
    if kind == SourceKind.FILE:
        file = require_object(obj.get("file"), f"{name}.file")
        uri = required_str(file, "uri")
        if urlsplit(uri).scheme not in ("http", "https"):
            raise bad_request(f"'{name}.file.uri' must be an absolute http or https URI.")
        return PlaySource(SourceKind.FILE, uri=uri)
    if kind == SourceKind.TEXT:
        text = require_object(obj.get("text"), f"{name}.text")
        words = required_str(text, "text")
        if len(words) > MAX_TEXT_CHARACTERS:
            raise bad_request(
                f"'{name}.text.text' may hold at most {MAX_TEXT_CHARACTERS} characters."
            )
        voice = optional_str(text, "voiceName") or optional_str(text, "voiceKind")
        return PlaySource(
            SourceKind.TEXT, text=words, locale=optional_str(text, "sourceLocale"), voice=voice
        )
    raise bad_request(f"'{name}.kind' must be 'file' or 'text' (the emulator plays no SSML).")


def _stop_tones(dtmf: JsonObject) -> frozenset[str]:
    names = set(TONE_NAMES.values())
    tones = optional_list(dtmf, "stopTones") or []
    if not all(isinstance(t, str) and t.lower() in names for t in tones):
        raise bad_request(f"'stopTones' values must be among: {', '.join(sorted(names))}.")
    return frozenset(str(t).lower() for t in tones)


def _int(obj: JsonObject, key: str, default: int, low: int, high: int) -> int:
    value = optional_int(obj, key, default, low=low, high=high)
    return default if value is None else value
