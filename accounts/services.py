"""Who may do what: assigning the roles defined in accounts.roles."""

from django.contrib.auth.models import Group, User
from django.db import transaction

from accounts.roles import Role


@transaction.atomic
def assign_role(*, user: User, role: Role) -> User:
    """Make `user` a member of exactly one role group; admins also get the admin site.

    Raises Group.DoesNotExist if the role groups were not migrated.
    """
    role_groups = Group.objects.filter(name__in=[r.value for r in Role])
    user.groups.remove(*role_groups)
    user.groups.add(Group.objects.get(name=role.value))
    user.is_staff = role is Role.ADMIN or user.is_superuser
    user.save(update_fields=["is_staff"])
    return user
