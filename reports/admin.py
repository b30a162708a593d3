"""Admins set the call rates that reports estimate cost with."""

from django.contrib import admin

from audit.admin_recording import AuditedModelAdmin
from reports.models import CallRates


@admin.register(CallRates)
class CallRatesAdmin(AuditedModelAdmin[CallRates]):
    list_display = ["pstn_per_minute", "voip_per_minute", "currency", "updated_at"]
    readonly_fields = ["updated_at"]
