"""Admin pages: subscriptions are configured here (their secret shown once, when made or
rotated); deliveries and their attempts are the record, shown only, and a failed one can be
sent again."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from audit.admin_recording import AuditedModelAdmin
from config.admin_records import RecordAdminMixin
from webhooks.errors import DeliveryNotFailed, InvalidWebhookEvents, InvalidWebhookUrl
from webhooks.models import Delivery, DeliveryAttempt, EventType, Subscription
from webhooks.services.subscribing import (
    WithSecret,
    check_events,
    check_url,
    create_subscription,
    rotate_secret,
    send_again,
    update_subscription,
)


class SubscriptionForm(forms.ModelForm[Subscription]):
    url = forms.CharField(
        label="URL", max_length=2000, help_text="https://…, or http://localhost… in development."
    )
    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = ["url", "events", "is_active"]

    def clean_url(self) -> str:
        try:
            return check_url(self.cleaned_data["url"])
        except InvalidWebhookUrl as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_events(self) -> list[str]:
        try:
            return check_events(self.cleaned_data["events"])
        except InvalidWebhookEvents as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(Subscription)
class SubscriptionAdmin(AuditedModelAdmin[Subscription]):
    form = SubscriptionForm
    list_display = ["url", "event_list", "is_active", "disabled_reason", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url"]
    readonly_fields = ["disabled_reason"]
    actions = ["rotate_secrets"]

    @admin.display(description="Events")
    def event_list(self, obj: Subscription) -> str:
        return ", ".join(obj.events)

    def save_model(
        self, request: HttpRequest, obj: Subscription, form: ModelForm[Subscription], change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            update_subscription(
                subscription=obj, url=data["url"], events=data["events"], is_active=obj.is_active
            )
            return
        made = create_subscription(url=data["url"], events=data["events"], is_active=obj.is_active)
        obj.pk, obj.secret = made.subscription.pk, made.secret

    def response_add(
        self, request: HttpRequest, obj: Subscription, post_url_continue: str | None = None
    ) -> HttpResponse:
        # The one time the secret is shown: on this page, never stored in a message or cookie.
        return _secrets_page(request, self, [WithSecret(subscription=obj, secret=obj.secret)])

    @admin.action(description="Rotate the signing secret (shown once)", permissions=["change"])
    def rotate_secrets(
        self, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> HttpResponse:
        rotated = [rotate_secret(subscription=s) for s in queryset.order_by("pk")]
        return _secrets_page(request, self, rotated)


def _secrets_page(
    request: HttpRequest, model_admin: SubscriptionAdmin, shown: list[WithSecret]
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Signing secret",
        "opts": model_admin.model._meta,
        "shown": shown,
    }
    return TemplateResponse(request, "webhooks/secret.html", context)


class DeliveryAttemptInline(admin.TabularInline[DeliveryAttempt, Delivery]):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ("number", "started_at", "duration_ms", "status_code", "error")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(RecordAdminMixin, AuditedModelAdmin[Delivery]):
    list_display = [
        "webhook_id",
        "event_type",
        "subscription",
        "status",
        "tries",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["webhook_id", "subscription__url"]
    list_select_related = ["subscription"]
    inlines = [DeliveryAttemptInline]
    actions = ["send_failed_again"]

    def has_send_again_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.change_delivery")

    @admin.action(description="Send again (failed ones)", permissions=["send_again"])
    def send_failed_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        sent = 0
        for delivery in queryset.order_by("pk"):
            try:
                send_again(delivery=delivery)
                sent += 1
            except DeliveryNotFailed:
                pass  # only failed ones are sent again
        if sent:
            messages.success(request, f"{sent} failed deliveries sent again.")
        else:
            messages.warning(request, "None of them had failed: only failed ones are sent again.")
