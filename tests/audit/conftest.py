import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def root_client(db: None) -> Client:
    client = Client()
    client.force_login(UserFactory.create(username="root", is_superuser=True, is_staff=True))
    return client
