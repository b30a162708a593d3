from django.contrib import admin

from audit.admin_recording import AuditedModelAdmin
from config.admin_records import RecordAdminMixin
from incidents.models import Incident, TimelineEntry


class TimelineEntryInline(admin.TabularInline[TimelineEntry, Incident]):
    model = TimelineEntry
    extra = 0
    fields = readonly_fields = ("at", "kind", "actor", "text")
    can_delete = False

    def has_add_permission(self, request: object, obj: Incident | None = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(AuditedModelAdmin[Incident]):
    list_display = ["id", "title", "severity", "status", "declared_by", "declared_at", "closed_at"]
    list_filter = ["status", "severity", "declared_at"]
    search_fields = ["title", "description"]
    date_hierarchy = "declared_at"
    # Status moves only through the services (they check the allowed transitions).
    readonly_fields = ["status", "declared_by", "declared_at", "updated_at", "closed_at"]
    list_select_related = ["declared_by"]
    inlines = [TimelineEntryInline]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(RecordAdminMixin, AuditedModelAdmin[TimelineEntry]):
    list_display = ["at", "incident", "kind", "actor", "text"]
    list_filter = ["kind", "at"]
    search_fields = ["text", "incident__title"]
    list_select_related = ["incident", "actor"]
    readonly_fields = ["incident", "at", "kind", "actor", "text"]
