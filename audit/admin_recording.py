"""The base of every ModelAdmin of the project: each add, change and delete made in the admin
site is in the audit log, in the transaction that makes it.

Django's own hooks are the seam: the admin calls log_addition, log_change and log_deletions
for every object it saves or deletes, whichever view or bulk action does it. The change and
delete views are one action each (audit.services.one_action), so a service they call (a
webhook subscription's create, say) records nothing more: the hook's entry, with the form's
change message, is the one. Admin actions that call services (rotate a secret, send a
delivery again) are recorded by those services, one entry per object.
"""

from typing import Any, Generic, TypeVar

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from audit.models import AuditAction
from audit.services import one_action, record_action

M = TypeVar("M", bound=Model)


class AuditedModelAdmin(admin.ModelAdmin[M], Generic[M]):
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        with one_action():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with one_action():
            return super().delete_view(request, object_id, extra_context)

    def log_addition(self, request: HttpRequest, obj: M, message: Any) -> LogEntry:
        entry = super().log_addition(request, obj, message)
        self._record(request, AuditAction.ADD, obj, entry.get_change_message() or "Added.")
        return entry

    def log_change(self, request: HttpRequest, obj: M, message: Any) -> LogEntry:
        entry = super().log_change(request, obj, message)
        said = entry.get_change_message() or "No fields changed."
        self._record(request, AuditAction.CHANGE, obj, said)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[M]) -> Any:
        # Called before the deletion (the objects still have their ids); by the delete view
        # with a list of one.
        for obj in queryset:
            self._record(request, AuditAction.DELETE, obj, "Deleted.")
        return super().log_deletions(request, queryset)

    def audit_repr(self, obj: M) -> str:
        """How the audit log names `obj`; override where str() would show a secret."""
        return str(obj)

    def _record(self, request: HttpRequest, action: AuditAction, obj: M, summary: str) -> None:
        record_action(
            action=action,
            target=obj,
            actor=request.user,
            summary=summary,
            target_repr=self.audit_repr(obj),
        )
