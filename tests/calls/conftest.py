"""The invitation tests' one set-up (tests.calls.invitations)."""

from collections.abc import Iterator

import pytest

from tests.calls.invitations import Invitations, live_call
from tests.provider_fake import fake_transport


@pytest.fixture
def invitations(db: None) -> Iterator[Invitations]:
    """A live call, and the provider at the transport recording each invitation sent for it."""
    fake = Invitations(call=live_call())
    with fake_transport(fake.handle):
        yield fake
