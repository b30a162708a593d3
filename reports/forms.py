"""The filters of the reports across incidents."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from contacts.models import ContactGroup
from incidents.models import Incident, Severity

DEFAULT_WEEKS = 8


class ReportFilterForm(forms.Form):
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    group = forms.ModelChoiceField(
        queryset=ContactGroup.objects.all(), required=False, empty_label="Every group"
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The start of the range comes after its end.")
        return cleaned

    def range(self) -> tuple[date, date]:
        """The dates asked for (both included), by default the last eight weeks."""
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or timezone.localdate()
        return data.get("since") or until - timedelta(weeks=DEFAULT_WEEKS), until

    def incidents(self, visible: QuerySet[Incident]) -> QuerySet[Incident]:
        since, until = self.range()
        chosen = visible.filter(declared_at__date__gte=since, declared_at__date__lte=until)
        severity = self.cleaned_data.get("severity") if self.is_valid() else ""
        if severity:
            chosen = chosen.filter(severity=severity)
        return chosen.order_by("declared_at", "id")

    def chosen_group(self) -> ContactGroup | None:
        return self.cleaned_data.get("group") if self.is_valid() else None
