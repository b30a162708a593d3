"""Admin pages: reminders and their runs are shown (made on the dashboard or the API, where the
prompt is chosen and the firing enqueued by the service); a reminder can be cancelled here."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.admin_recording import AuditedModelAdmin
from reminders import permissions
from reminders.errors import ReminderStarted
from reminders.models import Reminder, ReminderRecipient, ReminderRun
from reminders.services.scheduling import cancel_reminder


class ReadOnly(AuditedModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RecipientInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReminderRecipient
    fields = readonly_fields = ("position", "contact", "group", "number", "appointment_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RunInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReminderRun
    fields = readonly_fields = ("occurrence", "incident", "created_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Reminder)
class ReminderAdmin(ReadOnly):
    list_display = [
        "name",
        "state",
        "is_drill",
        "starts_at",
        "lead_minutes",
        "repeat",
        "next_run_at",
    ]
    list_filter = ["state", "is_drill", "repeat"]
    search_fields = ["name"]
    inlines = [RecipientInline, RunInline]
    actions = ["cancel"]

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perms(permissions.CANCEL)

    @admin.action(description="Cancel the selected reminders", permissions=["cancel"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        for reminder in queryset:
            try:
                cancel_reminder(reminder=reminder)
            except ReminderStarted as exc:
                self.message_user(request, f"{reminder}: {exc.message}", messages.WARNING)


@admin.register(ReminderRun)
class ReminderRunAdmin(ReadOnly):
    list_display = ["reminder", "occurrence", "incident", "created_at"]
    search_fields = ["reminder__name"]
    list_select_related = ["reminder", "incident"]
