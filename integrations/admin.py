from django.contrib import admin
from django.utils.html import format_html

from audit.admin_recording import AuditedModelAdmin
from config.admin_records import RecordAdminMixin
from integrations.models import Alert, Integration
from integrations.serializers import alert_url


@admin.register(Integration)
class IntegrationAdmin(AuditedModelAdmin[Integration]):
    list_display = ["name", "kind", "mode", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["groups", "contacts"]
    readonly_fields = ["alert_url", "created_at"]

    @admin.display(description="alert URL")
    def alert_url(self, integration: Integration) -> str:
        if integration.pk is None:
            return "Shown once saved."
        # The monitoring system's webhook URL: its token is the credential, keep it secret.
        return format_html("<code>{}</code>", alert_url(integration))


@admin.register(Alert)
class AlertAdmin(RecordAdminMixin, AuditedModelAdmin[Alert]):
    list_display = ["received_at", "integration", "title", "firing", "outcome", "incident"]
    list_filter = ["outcome", "integration", "received_at"]
    search_fields = ["title", "dedup_key", "body"]
    list_select_related = ["integration", "incident"]
    readonly_fields = [
        "integration",
        "received_at",
        "dedup_key",
        "firing",
        "title",
        "description",
        "severity",
        "outcome",
        "message",
        "incident",
        "processed_at",
        "body",
    ]
