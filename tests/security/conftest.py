"""The matrix's shared world: built once per module, inside a transaction rolled back at its end."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from pytest_django.plugin import DjangoDbBlocker

from tests.provider_fake import FakeProvider, fake_transport
from tests.security.world import World, build_world


@pytest.fixture(scope="module")
def world_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def media_root(settings: Any, world_media: Path) -> None:
    """The world's audio files stay where it was built (tests.conftest gives each test its own)."""
    settings.MEDIA_ROOT = str(world_media)


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, world_media: Path
) -> Iterator[World]:
    """Each test's own `db` transaction nests inside this one, and each request in a savepoint."""
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=str(world_media),
    )
    with django_db_blocker.unblock(), fast, transaction.atomic():
        with fake_transport(FakeProvider().handle):
            built = build_world()
        yield built
        transaction.set_rollback(True)
