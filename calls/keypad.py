"""What each key does on a call-out call: the map a prompt carries (admin site), and its check."""

from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError


class KeyAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"  # "I'm on it": the person counts as reached
    DECLINE = "decline"  # "I cannot help": reached, and not called again
    JOIN_BRIDGE = "join_bridge"  # acknowledged, and put through to the incident's bridge call
    REPLAY = "replay"  # hear the message again from the start
    CALL_BACK = "call_back"  # "call me back later": tried again after the policy's wait


KEYS = frozenset("0123456789*#")

# The map a prompt starts with; the spoken prompt should say the same.
DEFAULT_KEYPAD: dict[str, str] = {
    "1": KeyAction.ACKNOWLEDGE,
    "2": KeyAction.DECLINE,
    "9": KeyAction.JOIN_BRIDGE,
    "*": KeyAction.REPLAY,
}

# Keys whose press records an answer (and ends the call after a spoken confirmation).
ANSWERING_ACTIONS = frozenset(
    {KeyAction.ACKNOWLEDGE, KeyAction.DECLINE, KeyAction.JOIN_BRIDGE, KeyAction.CALL_BACK}
)

# The map reminders start with: confirm, cancel the appointment, call me back later.
REMINDER_KEYPAD: dict[str, str] = {
    "1": KeyAction.ACKNOWLEDGE,
    "2": KeyAction.DECLINE,
    "3": KeyAction.CALL_BACK,
    "*": KeyAction.REPLAY,
}


def default_keypad() -> dict[str, str]:
    return dict(DEFAULT_KEYPAD)


def reminder_keypad() -> dict[str, str]:
    return {key: str(action) for key, action in REMINDER_KEYPAD.items()}


def validate_keypad(value: Any) -> None:
    """A keypad map is {key: action}: keys 0-9, * or #; at least one key acknowledges."""
    if not isinstance(value, dict):
        raise ValidationError('Give the keypad as {"key": "action"}, e.g. {"1": "acknowledge"}.')
    actions = ", ".join(a.value for a in KeyAction)
    for key, action in value.items():
        if key not in KEYS:
            raise ValidationError(f"Key {key!r} is not on a phone's keypad (0-9, * or #).")
        if action not in KeyAction.__members__.values():
            raise ValidationError(f"Key {key} does {action!r}; choose one of: {actions}.")
    if not {KeyAction.ACKNOWLEDGE, KeyAction.JOIN_BRIDGE} & set(value.values()):
        raise ValidationError("At least one key must acknowledge, or nobody can be reached.")


def key_action(keypad: dict[str, str], key: str) -> KeyAction | None:
    """What pressing `key` does under `keypad`; None for a key the map does not name."""
    action = keypad.get(key)
    return KeyAction(action) if action is not None else None
