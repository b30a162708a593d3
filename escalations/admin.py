"""Admin pages: policies are configured here with their steps inline; escalations are the
record of each incident's run, shown only."""

from django.contrib import admin

from audit.admin_recording import AuditedModelAdmin
from config.admin_records import RecordAdminMixin
from escalations.models import Escalation, EscalationPolicy, EscalationStep


class EscalationStepInline(admin.StackedInline[EscalationStep, EscalationPolicy]):
    model = EscalationStep
    extra = 1
    ordering = ["position"]
    filter_horizontal = ["groups", "contacts"]
    fields = ["position", "mode", "groups", "contacts", "targets", "wait_seconds"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(AuditedModelAdmin[EscalationPolicy]):
    list_display = ["name", "ack_quorum", "created_at"]
    search_fields = ["name"]
    inlines = [EscalationStepInline]


@admin.register(Escalation)
class EscalationAdmin(RecordAdminMixin, AuditedModelAdmin[Escalation]):
    list_display = ["incident", "policy_name", "state", "current_step", "next_step_at"]
    list_filter = ["state", "stop_reason"]
    list_select_related = ["incident"]
    readonly_fields = [
        "incident",
        "policy",
        "policy_name",
        "ack_quorum",
        "steps",
        "current_step",
        "next_step_at",
        "dispatched_step",
        "dispatch_claimed_at",
        "state",
        "stop_reason",
        "started_at",
        "stopped_at",
    ]
