from django.contrib import admin

from calls.models import AudioPrompt, Call, CallEvent, Participant


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
    )
    can_delete = False

    def has_add_permission(self, request: object, obj: Call | None = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin[Call]):
    list_display = ["id", "incident", "mode", "state", "provider_call_id", "created_at"]
    list_filter = ["state", "mode", "created_at"]
    search_fields = ["provider_call_id", "subject", "incident__title"]
    list_select_related = ["incident"]
    # Calls are driven by the provider's events; the admin site only shows them.
    readonly_fields = [
        "incident",
        "mode",
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
class ParticipantAdmin(admin.ModelAdmin[Participant]):
    list_display = [
        "identifier",
        "contact",
        "call",
        "state",
        "acknowledged",
        "joined_at",
        "left_at",
    ]
    list_filter = ["state", "acknowledged"]
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
    ]


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin[CallEvent]):
    list_display = ["received_at", "event_type", "call"]
    list_filter = ["event_type", "received_at"]
    search_fields = ["event_type", "call__provider_call_id"]
    list_select_related = ["call"]
    readonly_fields = ["call", "event_type", "payload", "received_at", "digest"]


@admin.register(AudioPrompt)
class AudioPromptAdmin(admin.ModelAdmin[AudioPrompt]):
    list_display = ["name", "is_default", "created_at"]
    list_filter = ["is_default"]
    search_fields = ["name"]
