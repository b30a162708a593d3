from collections.abc import Iterable
from typing import Any, TypeVar, cast

from django import forms
from django.core.exceptions import ValidationError

from callouts.console import RecipientPage
from callouts.errors import InvalidPolicy, TooManyRecipients, UnknownPolicy
from callouts.models import CalloutPolicy, RecipientStatus
from callouts.policy import (
    check_quorum,
    check_recipient_count,
    chosen_rules,
    refuse_rules_for_bridge,
)
from calls.models import CallMode
from calls.selectors import default_prompt, offered_prompts
from calls.services.prompts import TypedMessage, prompt_choice
from calls.speech import DEFAULT_VOICE, MAX_TEXT_LENGTH, VOICE_CHOICES
from calls.targets import Target, targets_of
from contacts.models import Contact, ContactGroup
from contacts.phone import normalize_targets
from escalations.models import EscalationPolicy
from escalations.services.declaring import declaring_mode
from incidents.models import IncidentStatus, Severity


class TargetsForm(forms.Form):
    """Who to call: groups, contacts and ad-hoc numbers (one per line)."""

    groups = forms.ModelMultipleChoiceField(
        queryset=ContactGroup.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.active(), required=False, widget=forms.CheckboxSelectMultiple
    )
    numbers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "+14255550123"}),
        help_text="Other numbers or ACS user ids, one per line.",
    )

    def clean_numbers(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["numbers"].splitlines()]
        lines = [line for line in lines if line]
        numbers, errors = normalize_targets(lines)
        if errors:
            raise ValidationError([f"{lines[i]}: {messages[0]}" for i, messages in errors.items()])
        return numbers

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        # An empty result is the services' to refuse (NothingToCall), as the API's serializer
        # leaves it to them too.
        cleaned["targets"] = targets_of(
            groups=cleaned.get("groups") or [],
            contacts=cleaned.get("contacts") or [],
            identifiers=cleaned.get("numbers") or [],
        )
        return cleaned

    def targets(self) -> list[Target]:
        """Who the valid form asks to call, each once (resolved while cleaning)."""
        targets: list[Target] = self.cleaned_data["targets"]
        return targets


class DeclareIncidentForm(TargetsForm):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MAJOR)
    mode = forms.ChoiceField(choices=CallMode.choices, initial=CallMode.BRIDGE)
    prompt = forms.ModelChoiceField(
        queryset=offered_prompts(),
        required=False,
        empty_label="No message",
        help_text="Played on a loop once the call connects.",
    )
    message = forms.CharField(
        required=False,
        max_length=MAX_TEXT_LENGTH,
        label="Or type the message",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Spoken by text-to-speech in place of the prompt (up to {MAX_TEXT_LENGTH} "
        "characters).",
    )
    voice = forms.ChoiceField(
        choices=VOICE_CHOICES,
        initial=DEFAULT_VOICE,
        required=False,
        help_text="The language and voice that speak a typed message.",
    )
    policy = forms.ModelChoiceField(
        queryset=CalloutPolicy.objects.all(),
        required=False,
        empty_label="The default policy",
        help_text="Broadcast mode: how often each person is tried.",
    )
    quorum = forms.IntegerField(
        required=False,
        label="Stop after",
        help_text="Broadcast mode, optional: stop once this many people acknowledged.",
    )

    escalation_policy = forms.ModelChoiceField(
        queryset=EscalationPolicy.objects.all(),
        required=False,
        empty_label="No escalation",
        help_text="Its step 1 people are called with those chosen here, in step 1's mode; its "
        "later steps follow while too few acknowledged.",
    )

    field_order = ["title", "description", "severity", "groups", "contacts", "numbers"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shown preselected; what is submitted (a prompt, or "No message") is what is played.
        self.fields["prompt"].initial = default_prompt()
        self.fields["policy"].initial = CalloutPolicy.objects.filter(is_default=True).first()

    def clean(self) -> dict[str, Any]:
        """The call-out's rules, judged by callouts.policy as the API's are: `rules` is set
        in broadcast mode; a policy chosen for a bridge is ignored (the list always has one)."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        typed = cleaned.get("message", "").strip()
        message = TypedMessage(typed, cleaned.get("voice") or DEFAULT_VOICE) if typed else None
        cleaned["prompt"] = prompt_choice(prompt=cleaned.get("prompt"), message=message)
        policy: CalloutPolicy | None = cleaned.get("policy")
        quorum = cleaned.get("quorum")
        cleaned["mode"] = declaring_mode(
            policy=cleaned.get("escalation_policy"), mode=CallMode(cleaned["mode"])
        )
        if cleaned.get("mode") != CallMode.BROADCAST:
            try:
                refuse_rules_for_bridge(policy=None, quorum=quorum)
            except InvalidPolicy as exc:
                self.add_error("quorum", exc.message)
            return cleaned
        try:
            cleaned["rules"] = chosen_rules(policy.pk if policy else None)
        except (InvalidPolicy, UnknownPolicy) as exc:
            self.add_error("policy", exc.message)
        recipients = len(self.targets())
        try:
            check_recipient_count(recipients)
            check_quorum(quorum, recipients)
        except TooManyRecipients as exc:
            self.add_error("numbers", exc.message)
        except InvalidPolicy as exc:
            self.add_error("quorum", exc.message)
        return cleaned


FormT = TypeVar("FormT", bound=forms.Form)


def with_choices_read_once(form: FormT) -> FormT:
    """Read the form's choices from the database now: a form rendered many times on one page
    (the controls under every call) would otherwise query them again each time."""
    for field in form.fields.values():
        if isinstance(field, forms.ChoiceField):
            field.choices = list(cast(Iterable[Any], field.choices))
    return form


class PlayPromptForm(forms.Form):
    prompt = forms.ModelChoiceField(queryset=offered_prompts())
    loop = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prompt"].initial = default_prompt()


class IncidentFilterForm(forms.Form):
    """The list page's search, filters and page; each bad value gets its own message."""

    q = forms.CharField(
        label="Title contains",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *IncidentStatus.choices],
        required=False,
    )
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    page = forms.IntegerField(
        min_value=1,
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": "Page numbers are whole numbers."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            # Screen readers read the message next to a filter along with the filter itself.
            if self.is_bound and name in self.errors:
                field.widget.attrs["aria-describedby"] = f"id_{name}_error"

    def filters(self) -> dict[str, str]:
        """The valid filters (an invalid one is left out and reported next to its field)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "status": data.get("status") or "",
            "severity": data.get("severity") or "",
            "search": data.get("q") or "",
        }

    def page_number(self) -> int:
        self.is_valid()
        page: int | None = getattr(self, "cleaned_data", {}).get("page")
        return page or 1


class RecipientFilterForm(forms.Form):
    """Which page of a call-out's recipient table the incident page shows, and whose rows.

    Read from the page's address and from its WebSocket's (the consumer sends that page in
    its snapshots). A bad value is reported and left out: everyone, page 1.
    """

    status = forms.ChoiceField(
        label="Show",
        choices=[("", "Everyone"), *RecipientStatus.choices],
        required=False,
    )
    page = forms.IntegerField(
        min_value=1,
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": "Page numbers are whole numbers."},
    )

    def recipient_page(self) -> RecipientPage:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return RecipientPage(status=data.get("status") or "", number=data.get("page") or 1)
