"""Writing the audit log: one entry per operator or admin action, in the action's transaction.

A service that is one action is decorated with `audited`, and calls `record_action` inside
its own transaction, so the entry is kept exactly when the change is. Actions call other
actions (resolving stops the call-out and hangs up each call; removing someone still ringing
hangs up their call): those nested inside an audited service record nothing of their own, so
each thing a person asked for is one entry.

Background work the system does of itself (a ring timeout's hang-up, a quorum's stop) is not
an action of anyone's and records nothing; work done for an integration runs under
audit.origin.acting_for and is recorded with that source.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Model

from audit.models import AuditAction, AuditEntry, Source
from audit.origin import current_origin

P = ParamSpec("P")
R = TypeVar("R")

# How many audited actions are running, one inside the other, in this thread or task.
_depth: ContextVar[int] = ContextVar("audit_action_depth", default=0)


@contextmanager
def one_action() -> Iterator[None]:
    """Within this block, audited actions are part of one: only the outermost records."""
    token = _depth.set(_depth.get() + 1)
    try:
        yield
    finally:
        _depth.reset(token)


def audited(service: Callable[P, R]) -> Callable[P, R]:
    """Marks a service as one action (see the module): the actions it calls are part of it."""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_action():
            return service(*args, **kwargs)

    return run


def record_action(
    *,
    action: AuditAction,
    target: Model,
    actor: User | AbstractBaseUser | AnonymousUser | None = None,
    incident_id: int | None = None,
    summary: str = "",
    target_repr: str | None = None,
) -> AuditEntry | None:
    """Add an entry saying that `actor` (by default whoever the request is from) did `action`
    to `target`, from where audit.origin says. Call it inside the action's transaction.

    `target_repr` names the target where str() would not do (it would show a secret).

    Writes nothing (and returns None) inside an action that records itself (see the module),
    or when nobody asked for the action: no actor and no origin. Raises nothing.
    """
    if _depth.get() > 1:
        return None
    origin = current_origin()
    person = actor if isinstance(actor, User) else (origin.user if origin else None)
    if person is None and origin is None:
        return None
    meta = target._meta
    return AuditEntry.objects.create(
        actor=person,
        actor_name=person.get_username() if person is not None else "",
        source=origin.source if origin is not None else Source.SYSTEM,
        address=origin.address if origin is not None else None,
        via=origin.via if origin is not None else "",
        action=action,
        target_type=f"{meta.app_label}.{meta.model_name}",
        target_id=str(target.pk),
        target_repr=(str(target) if target_repr is None else target_repr)[:200],
        incident_number=incident_id,
        summary=summary,
    )
