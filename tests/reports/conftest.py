from typing import Any

import pytest

from callouts.models import CallerNumber


@pytest.fixture
def pool(db: None) -> list[CallerNumber]:
    """Three caller numbers, two calls at once each: every person of a history at once."""
    return [
        CallerNumber.objects.create(number=f"+1425555000{n}", max_simultaneous_calls=2)
        for n in (1, 2, 3)
    ]


@pytest.fixture(autouse=True)
def starts_at_once(settings: Any) -> None:
    settings.CALLOUT_STARTS_PER_SECOND = 1_000_000
