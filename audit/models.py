"""The audit log: who did what, when, and from where. Rows are added, never changed or deleted."""

from collections.abc import Iterable
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.errors import AppendOnly

REFUSED = "The audit log is append-only: its entries are never changed or deleted."


class Source(models.TextChoices):
    """Where an action came from."""

    DASHBOARD = "dashboard", "Dashboard"
    API = "api", "API (signed in)"  # the API with a session cookie (its browsable pages)
    API_TOKEN = "api_token", "API token"
    ADMIN = "admin", "Admin site"
    INTEGRATION = "integration", "Integration"
    SYSTEM = "system", "System"  # background work, commands


class AuditAction(models.TextChoices):
    # What operators do (accounts.roles.Action, less "view").
    DECLARE = "declare", "Declare"
    RESOLVE = "resolve", "Resolve"
    CANCEL = "cancel", "Cancel"
    INVITE = "invite", "Invite"
    REMOVE = "remove", "Remove"
    PLAY = "play", "Play"
    STOP_AUDIO = "stop_audio", "Stop the audio"
    HANG_UP = "hang_up", "Hang up"
    RETRY = "retry", "Retry"
    REDIAL = "redial", "Ring everyone again"
    RING_AGAIN = "ring_again", "Ring again"
    STOP_CALLOUT = "stop_callout", "Stop the call-out"
    ESCALATE = "escalate", "Escalate now"
    # Configuration (the admin site's add, change, delete; the API's create, update, destroy).
    ADD = "add", "Add"
    CHANGE = "change", "Change"
    DELETE = "delete", "Delete"
    ROTATE_SECRET = "rotate_secret", "Rotate a secret"
    SEND_AGAIN = "send_again", "Send again"


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Refuses the bulk writes that would bypass AuditEntry.save and .delete."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly(REFUSED)

    def delete(self) -> NoReturn:
        raise AppendOnly(REFUSED)

    def bulk_update(
        self, objs: Iterable["AuditEntry"], fields: Iterable[str], batch_size: int | None = None
    ) -> NoReturn:
        raise AppendOnly(REFUSED)

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly(REFUSED)


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint and nothing done on delete: a user's deletion must not rewrite
    # (or be blocked by) the record of what they did; actor_name keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)  # "" for the system
    source = models.CharField(max_length=20, choices=Source.choices)
    address = models.GenericIPAddressField(null=True, blank=True)  # the client's, if a request
    via = models.CharField(max_length=200, blank=True)  # the integration, for one
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    target_type = models.CharField(max_length=100)  # "app_label.model"
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200)
    incident_number = models.BigIntegerField(null=True, blank=True, db_index=True)
    summary = models.TextField(blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        # Only "view" exists: no group or user can be granted a change or a delete.
        default_permissions = ("view",)
        indexes = [models.Index(fields=["source", "at"]), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        who = self.actor_name or "the system"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly(REFUSED)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly(REFUSED)
