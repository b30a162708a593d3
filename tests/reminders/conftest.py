"""Reminders under test: made through the services, their tasks run by hand (as callouts')."""

from datetime import datetime
from typing import Any

import pytest

from calls.services.prompts import TypedMessage
from reminders.models import Reminder
from reminders.services.scheduling import Draft, Line, create_reminder
from tests.callouts.conftest import pool, starts_at_once, tasks  # noqa: F401 (fixtures)


def make_reminder(
    *numbers: str, starts_at: datetime | None = None, lines: list[Line] | None = None, **given: Any
) -> Reminder:
    """A reminder calling `numbers` (or `lines`), speaking a typed message."""
    draft = Draft(
        name=given.pop("name", "Dentist"),
        lines=lines or [Line(number=n) for n in numbers],
        starts_at=starts_at,
        **given,
    )
    return create_reminder(
        draft=draft, prompt=TypedMessage("Your appointment is tomorrow."), created_by=None
    )


@pytest.fixture(autouse=True)
def _db(db: None) -> None:
    """Every reminder test uses the database."""
