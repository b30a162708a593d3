"""Admin pages for rows only the app writes: shown, never added or edited by hand."""

from typing import Any

from django.http import HttpRequest


class RecordAdminMixin:
    """For call events, participants, calls and timeline entries: they come from the provider's
    events and the services, and a hand-made or hand-edited row would falsify the record."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
