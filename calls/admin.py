from typing import Any

from django import forms
from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from audit.admin_recording import AuditedModelAdmin
from calls.errors import SpeechUnavailable
from calls.models import AudioPrompt, Call, CallEvent, Participant
from calls.provider import provider_speaks_text
from calls.services.prompts import check_prompt_source, save_prompt
from calls.speech import VOICES, rendered_speech
from config.admin_records import RecordAdminMixin


class ParticipantInline(admin.TabularInline[Participant, Call]):
    model = Participant
    extra = 0
    fields = readonly_fields = (
        "identifier",
        "contact",
        "state",
        "joined_at",
        "left_at",
        "keys_pressed",
        "last_error",
        "uninvited",
    )
    can_delete = False

    def has_add_permission(self, request: object, obj: Call | None = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(RecordAdminMixin, AuditedModelAdmin[Call]):
    list_display = ["id", "incident", "mode", "state", "provider_call_id", "created_at"]
    list_filter = ["state", "mode", "created_at"]
    search_fields = ["provider_call_id", "subject", "incident__title"]
    list_select_related = ["incident"]
    # Calls are driven by the provider's events; the admin site only shows them.
    readonly_fields = [
        "incident",
        "mode",
        "quiet",
        "state",
        "provider_call_id",
        "subject",
        "create_request_id",
        "last_error",
        "created_at",
        "ended_at",
    ]
    exclude = ["callback_secret"]
    inlines = [ParticipantInline]


@admin.register(Participant)
class ParticipantAdmin(RecordAdminMixin, AuditedModelAdmin[Participant]):
    list_display = [
        "identifier",
        "contact",
        "call",
        "state",
        "acknowledged",
        "uninvited",
        "joined_at",
        "left_at",
    ]
    list_filter = ["state", "acknowledged", "uninvited"]
    search_fields = ["identifier", "contact__name", "provider_participant_id"]
    list_select_related = ["contact", "call"]
    readonly_fields = [
        "call",
        "contact",
        "identifier",
        "provider_participant_id",
        "state",
        "joined_at",
        "left_at",
        "keys_pressed",
        "acknowledged",
        "uninvited",
    ]


@admin.register(CallEvent)
class CallEventAdmin(RecordAdminMixin, AuditedModelAdmin[CallEvent]):
    list_display = ["received_at", "event_type", "call"]
    list_filter = ["event_type", "received_at"]
    search_fields = ["event_type", "call__provider_call_id"]
    list_select_related = ["call"]
    readonly_fields = ["call", "event_type", "payload", "received_at", "digest"]


class AudioPromptForm(forms.ModelForm[AudioPrompt]):
    # Not the model field itself: the form would refuse a second default before save_prompt
    # could hand the role over from the old one.
    make_default = forms.BooleanField(
        required=False,
        label="Default",
        help_text=AudioPrompt._meta.get_field("is_default").help_text,
    )

    class Meta:
        model = AudioPrompt
        fields = ["name", "audio", "text", "voice", "keypad"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["make_default"].initial = self.instance.is_default

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        text = cleaned.get("text", "")
        check_prompt_source(has_audio=bool(cleaned.get("audio")), text=text)
        if text and not provider_speaks_text():
            try:  # said now, not when a call plays it (the rendering is kept for then)
                rendered_speech(text, cleaned["voice"])
            except SpeechUnavailable as exc:
                raise forms.ValidationError(exc.message) from None
        return cleaned


@admin.register(AudioPrompt)
class AudioPromptAdmin(AuditedModelAdmin[AudioPrompt]):
    form = AudioPromptForm
    list_display = ["name", "kind", "is_default", "duration", "created_at"]
    list_filter = ["is_default"]
    search_fields = ["name", "text"]
    readonly_fields = ["listen", "duration", "created_at"]

    @admin.display(description="duration")
    def duration(self, prompt: AudioPrompt) -> str:
        return f"{prompt.duration_ms / 1000:.1f} s"

    @admin.display(description="kind")
    def kind(self, prompt: AudioPrompt) -> str:
        return f"Typed ({VOICES[prompt.voice].label})" if prompt.text else "Recording"

    @admin.display(description="listen")
    def listen(self, prompt: AudioPrompt) -> str:
        if prompt.pk is None:
            return "Saved first, then playable here."
        # The URL the provider fetches: a typed text as spoken on the 2021 dialect.
        url = reverse("calls:prompt_audio", kwargs={"prompt_id": prompt.pk})
        return format_html('<audio controls preload="none" src="{}"></audio>', url)

    def save_model(
        self, request: HttpRequest, obj: AudioPrompt, form: ModelForm[AudioPrompt], change: bool
    ) -> None:
        uploaded = form.files.get("audio") if "audio" in form.changed_data else None
        obj.is_default = form.cleaned_data["make_default"]
        save_prompt(prompt=obj, audio=uploaded)
