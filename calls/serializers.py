"""API shapes for calls, their participants, who to call, and audio prompts."""

from typing import Any

from rest_framework import serializers

from calls.models import AudioPrompt, Call, Participant
from calls.services.hanging_up import NotHungUp
from calls.targets import targets_of
from contacts.models import Contact, ContactGroup
from contacts.phone import normalize_targets

MAX_AD_HOC_TARGETS = 100


class TargetsInput(serializers.Serializer[None]):
    """Who to call: groups, contacts and ad-hoc numbers, resolved to `targets` without repeats."""

    groups = serializers.PrimaryKeyRelatedField(
        queryset=ContactGroup.objects.all(), many=True, required=False, default=list
    )
    contacts = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.active(), many=True, required=False, default=list
    )
    targets = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        max_length=MAX_AD_HOC_TARGETS,
        help_text="E.164 phone numbers (+14255550123) or ACS user ids (8:acs:...).",
    )

    def validate_targets(self, value: list[str]) -> list[str]:
        numbers, errors = normalize_targets(value)
        if errors:
            raise serializers.ValidationError({str(i): messages for i, messages in errors.items()})
        return numbers

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The services take resolved targets; an empty result is theirs to refuse (NothingToCall).
        attrs["targets"] = targets_of(
            groups=attrs.pop("groups"), contacts=attrs.pop("contacts"), identifiers=attrs["targets"]
        )
        return attrs


class ParticipantOutput(serializers.ModelSerializer[Participant]):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = [
            "id",
            "call",
            "contact",
            "name",
            "identifier",
            "state",
            "joined_at",
            "left_at",
            "keys_pressed",
            "acknowledged",
            "last_error",
            "uninvited",
        ]
        read_only_fields = fields

    def get_name(self, participant: Participant) -> str:
        return participant.contact.name if participant.contact else ""


class CallOutput(serializers.ModelSerializer[Call]):
    participants = ParticipantOutput(many=True, read_only=True)

    class Meta:
        model = Call
        fields = [
            "id",
            "incident",
            "mode",
            "provider_call_id",
            "state",
            "media_state",
            "prompt",
            "last_error",
            "created_at",
            "ended_at",
            "participants",
        ]
        read_only_fields = fields


class PlayInput(serializers.Serializer[None]):
    prompt = serializers.PrimaryKeyRelatedField(
        queryset=AudioPrompt.objects.all(), required=False, help_text="Omitted: the default prompt."
    )
    loop = serializers.BooleanField(default=True, help_text="Repeat until stopped.")


class AudioPromptOutput(serializers.ModelSerializer[AudioPrompt]):
    class Meta:
        model = AudioPrompt
        fields = [
            "id",
            "name",
            "text",
            "voice",
            "duration_ms",
            "one_off",
            "is_default",
            "created_at",
        ]
        read_only_fields = fields


class AudioPromptInput(serializers.ModelSerializer[AudioPrompt]):
    """A recording (a multipart upload: mono 16-bit 16 kHz WAV, the model's validator checks
    the file itself) or a typed `text` with its `voice` (calls.speech): one of the two."""

    # Not the model field: its "one default" constraint would refuse a second default before
    # save_prompt could hand the role over from the old one.
    is_default = serializers.BooleanField(
        default=False, help_text="Make it the default prompt (the previous default stops being it)."
    )

    class Meta:
        model = AudioPrompt
        fields = ["name", "audio", "text", "voice", "is_default"]
        extra_kwargs = {"audio": {"required": False}}


class NotHungUpOutput(serializers.Serializer[NotHungUp]):
    """A call still running after its incident closed or its call-out stopped."""

    call = serializers.IntegerField(source="call.pk", help_text="Still running: hang it up again.")
    message = serializers.CharField(help_text="Who is on the call, and the provider's reason.")
