"""The audit log in the admin site, read-only; and the third-party admins, made to record.

The admins of django.contrib.auth (users and groups: who holds which role), DRF's tokens and
the task engine's results are registered again on AuditedModelAdmin, so that every admin page
of the project records its changes (the check audit.E001 names any that does not).
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.http import HttpRequest
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from audit.admin_recording import AuditedModelAdmin
from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditedModelAdmin[AuditEntry]):
    list_display = [
        "at",
        "actor_name",
        "source",
        "address",
        "action",
        "target_type",
        "target_repr",
        "incident_number",
        "summary",
    ]
    list_filter = [
        "source",
        "action",
        "at",
        ("actor", admin.RelatedOnlyFieldListFilter),
        "target_type",
    ]
    search_fields = ["actor_name", "target_repr", "summary", "address", "via", "=incident_number"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    actions = None  # no bulk delete

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedUserAdmin(AuditedModelAdmin[User], UserAdmin[User]):
    pass


class AuditedGroupAdmin(AuditedModelAdmin[Group], GroupAdmin):
    pass


class AuditedTokenAdmin(AuditedModelAdmin[TokenProxy], TokenAdmin):
    def audit_repr(self, obj: TokenProxy) -> str:
        return f"API token of {obj.user}"  # str() is the key itself


class AuditedTaskResultAdmin(AuditedModelAdmin[DBTaskResult[Any, Any]], DBTaskResultAdmin):
    pass


THIRD_PARTY: list[tuple[type[Model], type[admin.ModelAdmin[Any]]]] = [
    (User, AuditedUserAdmin),
    (Group, AuditedGroupAdmin),
    (TokenProxy, AuditedTokenAdmin),
    (DBTaskResult, AuditedTaskResultAdmin),
]
for _model, _admin in THIRD_PARTY:
    admin.site.unregister(_model)
    admin.site.register(_model, _admin)
