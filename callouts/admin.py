"""Admin pages: the caller-number pool and policy presets are configured here; call-outs,
recipients and attempts are the record, shown only."""

from django.contrib import admin

from callouts.models import Attempt, CallerNumber, Callout, CalloutPolicy, Recipient
from config.admin_records import RecordAdminMixin


@admin.register(CallerNumber)
class CallerNumberAdmin(admin.ModelAdmin[CallerNumber]):
    list_display = ["number", "label", "max_simultaneous_calls", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["number", "label"]


@admin.register(CalloutPolicy)
class CalloutPolicyAdmin(admin.ModelAdmin[CalloutPolicy]):
    list_display = ["name", "max_attempts", "retry_wait_seconds", "is_default"]
    list_filter = ["is_default"]


class AttemptInline(admin.TabularInline[Attempt, Recipient]):
    model = Attempt
    extra = 0
    fields = readonly_fields = (
        "number",
        "caller_number",
        "scheduled_at",
        "answered_at",
        "ended_at",
        "outcome",
        "keys",
        "provider_code",
        "provider_message",
    )
    can_delete = False

    def has_add_permission(self, request: object, obj: Recipient | None = None) -> bool:
        return False


@admin.register(Callout)
class CalloutAdmin(RecordAdminMixin, admin.ModelAdmin[Callout]):
    list_display = ["incident", "state", "stop_reason", "quorum", "created_at", "finished_at"]
    list_filter = ["state", "created_at"]
    list_select_related = ["incident"]
    readonly_fields = [
        "incident",
        "prompt",
        "policy",
        "max_attempts",
        "retry_wait_seconds",
        "retry_outcomes",
        "keypad",
        "quorum",
        "state",
        "stop_reason",
        "created_at",
        "finished_at",
    ]


@admin.register(Recipient)
class RecipientAdmin(RecordAdminMixin, admin.ModelAdmin[Recipient]):
    list_display = ["identifier", "name", "callout", "status", "attempts_made"]
    list_filter = ["status"]
    search_fields = ["identifier", "name"]
    list_select_related = ["callout__incident"]
    readonly_fields = [
        "callout",
        "position",
        "contact",
        "identifier",
        "name",
        "status",
        "attempts_made",
        "next_attempt_at",
    ]
    inlines = [AttemptInline]
