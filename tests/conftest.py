import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.roles import Role
from accounts.services import assign_role
from tests.factories import UserFactory


def _user_with_role(role: Role) -> User:
    user: User = UserFactory.create(username=role.value.rstrip("s"))
    return assign_role(user=user, role=role)


@pytest.fixture
def viewer(db: None) -> User:
    return _user_with_role(Role.VIEWER)


@pytest.fixture
def operator(db: None) -> User:
    return _user_with_role(Role.OPERATOR)


@pytest.fixture
def admin_user(db: None) -> User:
    return _user_with_role(Role.ADMIN)


@pytest.fixture
def operator_client(operator: User) -> Client:
    client = Client()
    client.force_login(operator)
    return client
