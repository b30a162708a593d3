"""The dashboard's reminder form: who (groups, contacts, numbers with their appointments),
what they hear, and when. Times are typed as local times of the reminder's zone (or a line's)."""

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from callouts.models import CalloutPolicy
from callouts.quiet_hours import zone_named
from calls.selectors import default_prompt, offered_prompts
from calls.services.prompts import PromptChoice, TypedMessage, prompt_choice
from calls.speech import DEFAULT_VOICE, MAX_TEXT_LENGTH, VOICE_CHOICES
from contacts.models import Contact, ContactGroup
from reminders.models import Repeat
from reminders.services.scheduling import Draft, Line

LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}, format="%Y-%m-%dT%H:%M:%S")


class ReminderForm(forms.Form):
    name = forms.CharField(max_length=200)
    groups = forms.ModelMultipleChoiceField(
        queryset=ContactGroup.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.active(), required=False, widget=forms.CheckboxSelectMultiple
    )
    numbers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "+14255550123, 2027-01-05 10:00"}),
        help_text="One per line: a number, and optionally its appointment (local time) and "
        "time zone, e.g. “+14255550123, 2027-01-05 10:00, America/New_York”.",
    )
    prompt = forms.ModelChoiceField(queryset=offered_prompts(), required=False)
    message = forms.CharField(
        required=False,
        max_length=MAX_TEXT_LENGTH,
        label="Or type the message",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Say which keys to press: 1 to confirm, 2 to cancel, 3 to be called back.",
    )
    voice = forms.ChoiceField(choices=VOICE_CHOICES, initial=DEFAULT_VOICE, required=False)
    time_zone = forms.CharField(max_length=64, initial="UTC", help_text="IANA, e.g. Europe/Paris.")
    starts_at = forms.DateTimeField(
        required=False, widget=LOCAL, label="Start", help_text="Local time in the time zone."
    )
    lead_hours = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
        label="Or hours before each appointment",
    )
    quiet_start = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Quiet from"
    )
    quiet_end = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Quiet until"
    )
    repeat = forms.ChoiceField(choices=Repeat.choices, required=False)
    is_drill = forms.BooleanField(required=False, label="A drill")
    policy = forms.ModelChoiceField(
        queryset=CalloutPolicy.objects.all(), required=False, empty_label="The default policy"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prompt"].initial = default_prompt()

    def clean_time_zone(self) -> str:
        zone: str = self.cleaned_data["time_zone"].strip()
        zone_named(zone)  # raises ValidationError
        return zone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        zone = zone_named(cleaned["time_zone"])
        if cleaned.get("starts_at"):
            cleaned["starts_at"] = cleaned["starts_at"].replace(tzinfo=zone)
        try:
            cleaned["lines"] = self._lines(cleaned)
        except ValidationError as exc:
            self.add_error("numbers", exc)
        return cleaned

    def _lines(self, cleaned: dict[str, Any]) -> list[Line]:
        lines = [Line(group=g) for g in cleaned.get("groups") or []]
        lines += [Line(contact=c) for c in cleaned.get("contacts") or []]
        for row in cleaned.get("numbers", "").splitlines():
            parts = [part.strip() for part in row.split(",")]
            if not parts[0]:
                continue
            zone = parts[2] if len(parts) > 2 else ""
            at = None
            if len(parts) > 1 and parts[1]:
                try:
                    local = datetime.fromisoformat(parts[1])
                except ValueError as exc:
                    raise ValidationError(
                        f"{row}: write the appointment as 2027-01-05 10:00."
                    ) from exc
                at = local.replace(tzinfo=zone_named(zone or cleaned["time_zone"]))
            lines.append(Line(number=parts[0], appointment_at=at, time_zone=zone))
        return lines

    def draft(self) -> Draft:
        data = self.cleaned_data
        lead = data.get("lead_hours")
        return Draft(
            name=data["name"],
            lines=data["lines"],
            starts_at=data.get("starts_at"),
            lead_minutes=int(lead * 60) if lead is not None else None,
            time_zone=data["time_zone"],
            quiet_start=data.get("quiet_start"),
            quiet_end=data.get("quiet_end"),
            repeat=data.get("repeat") or Repeat.NONE,
            is_drill=bool(data.get("is_drill")),
            policy=data.get("policy"),
        )

    def prompt_choice(self) -> PromptChoice:
        data = self.cleaned_data
        typed = data.get("message", "").strip()
        message = TypedMessage(typed, data.get("voice") or DEFAULT_VOICE) if typed else None
        return prompt_choice(prompt=data.get("prompt"), message=message)
