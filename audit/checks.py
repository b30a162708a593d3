"""A check that no admin page changes data without the audit log hearing of it."""

from typing import Any

from django.contrib import admin
from django.core.checks import CheckMessage, Error, Tags, register

from audit.admin_recording import AuditedModelAdmin


@register(Tags.admin)
def check_every_admin_is_audited(**kwargs: Any) -> list[CheckMessage]:
    return [
        Error(
            f"{type(model_admin).__qualname__} ({model._meta.label}) is not an "
            "AuditedModelAdmin: its changes would not reach the audit log.",
            hint="Subclass audit.admin_recording.AuditedModelAdmin (or re-register a "
            "third-party admin with it, as audit/admin.py does).",
            id="audit.E001",
        )
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedModelAdmin)
    ]
