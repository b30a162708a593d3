"""A reminder draft from an interface's validated input (the API's and the form's)."""

from typing import Any

from calls.services.prompts import PromptChoice, TypedMessage
from reminders.services.scheduling import Draft, Line

DRAFT_FIELDS = (
    "name",
    "starts_at",
    "lead_minutes",
    "time_zone",
    "quiet_start",
    "quiet_end",
    "repeat",
    "repeat_until",
    "is_drill",
    "keypad",
    "policy",
)


def draft_of(data: dict[str, Any]) -> tuple[Draft, PromptChoice]:
    """The draft and the prompt choice that validated `data` describes."""
    lines = [Line(**line) for line in data["recipients"]]
    given: dict[str, Any] = {name: data[name] for name in DRAFT_FIELDS if name in data}
    draft = Draft(lines=lines, **given)
    message = data.get("message")
    prompt: PromptChoice = (
        TypedMessage(text=message["text"], voice=message["voice"]) if message else data["prompt"]
    )
    return draft, prompt
