"""Admin pages: the caller-number pool and policy presets are configured here; call-outs,
recipients and attempts are the record, shown only."""

from typing import Any

from django import forms
from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from audit.admin_recording import AuditedModelAdmin
from callouts.errors import InvalidPolicy
from callouts.models import Attempt, CallerNumber, Callout, CalloutPolicy, Recipient
from callouts.policy import INLINE_FIELDS, preset_rules
from callouts.services.presets import save_policy
from config.admin_records import RecordAdminMixin


@admin.register(CallerNumber)
class CallerNumberAdmin(AuditedModelAdmin[CallerNumber]):
    list_display = ["number", "label", "max_simultaneous_calls", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["number", "label"]


class CalloutPolicyForm(forms.ModelForm[CalloutPolicy]):
    # Not the model field itself: the form would refuse a second default before save_policy
    # could hand the role over from the old one (as AudioPromptForm does for prompts).
    make_default = forms.BooleanField(
        required=False,
        label="Default",
        help_text=CalloutPolicy._meta.get_field("is_default").help_text,
    )

    class Meta:
        model = CalloutPolicy
        fields = ["name", *INLINE_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["make_default"].initial = self.instance.is_default

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:  # the rules that call-outs start by decide, not this form
            try:
                rules = {name: cleaned[name] for name in INLINE_FIELDS}
                preset_rules(CalloutPolicy(**rules))
            except InvalidPolicy as exc:
                raise forms.ValidationError(exc.message) from None
        return cleaned


@admin.register(CalloutPolicy)
class CalloutPolicyAdmin(AuditedModelAdmin[CalloutPolicy]):
    form = CalloutPolicyForm
    list_display = [
        "name",
        "max_attempts",
        "retry_wait_seconds",
        "answer_window_seconds",
        "is_default",
    ]
    list_filter = ["is_default"]

    def save_model(
        self,
        request: HttpRequest,
        obj: CalloutPolicy,
        form: ModelForm[CalloutPolicy],
        change: bool,
    ) -> None:
        obj.is_default = form.cleaned_data["make_default"]
        save_policy(policy=obj)


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
class CalloutAdmin(RecordAdminMixin, AuditedModelAdmin[Callout]):
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
        "answer_window_seconds",
        "keypad",
        "quorum",
        "state",
        "stop_reason",
        "created_at",
        "finished_at",
    ]


@admin.register(Recipient)
class RecipientAdmin(RecordAdminMixin, AuditedModelAdmin[Recipient]):
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
