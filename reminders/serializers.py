"""The reminders API's shapes: a reminder in (its recipients and prompt), and out (its runs)."""

from typing import Any

from rest_framework import serializers

from callouts.models import CalloutPolicy
from calls.keypad import validate_keypad
from calls.models import AudioPrompt
from calls.speech import DEFAULT_VOICE
from contacts.models import Contact, ContactGroup
from reminders.models import Reminder, ReminderRecipient, ReminderRun, Repeat


class ReminderRecipientInput(serializers.Serializer[ReminderRecipient]):
    """Exactly one of `contact`, `group` (its active members) and `number`."""

    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )
    group = serializers.PrimaryKeyRelatedField(
        queryset=ContactGroup.objects.all(), required=False, allow_null=True
    )
    number = serializers.CharField(max_length=200, required=False, default="")
    appointment_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    time_zone = serializers.CharField(max_length=64, required=False, default="")


class ReminderMessageInput(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=2000)
    voice = serializers.CharField(max_length=64, default=DEFAULT_VOICE)


class ReminderInput(serializers.Serializer[Reminder]):
    """A reminder to make. The rules (a start or a lead, zones, quiet hours) are the
    service's: it answers 400 `invalid_reminder` with a message saying why."""

    name = serializers.CharField(max_length=200)
    recipients = ReminderRecipientInput(many=True)
    prompt = serializers.PrimaryKeyRelatedField(
        queryset=AudioPrompt.objects.all(), required=False, allow_null=True, default=None
    )
    message = ReminderMessageInput(required=False, allow_null=True, default=None)
    starts_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    lead_minutes = serializers.IntegerField(
        min_value=0, max_value=60 * 24 * 60, required=False, allow_null=True, default=None
    )
    time_zone = serializers.CharField(max_length=64, default="UTC")
    quiet_start = serializers.TimeField(required=False, allow_null=True, default=None)
    quiet_end = serializers.TimeField(required=False, allow_null=True, default=None)
    repeat = serializers.ChoiceField(choices=Repeat.choices, default=Repeat.NONE, allow_blank=True)
    repeat_until = serializers.DateTimeField(required=False, allow_null=True, default=None)
    is_drill = serializers.BooleanField(default=False)
    keypad = serializers.JSONField(required=False, default=None, validators=[validate_keypad])
    policy = serializers.PrimaryKeyRelatedField(
        queryset=CalloutPolicy.objects.all(), required=False, allow_null=True, default=None
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("prompt") is None) == (attrs.get("message") is None):
            raise serializers.ValidationError("Give either a `prompt` id or a typed `message`.")
        return attrs


class ReminderRunOutput(serializers.ModelSerializer[ReminderRun]):
    class Meta:
        model = ReminderRun
        fields = ["id", "occurrence", "incident", "created_at"]
        read_only_fields = fields


class ReminderRecipientOutput(serializers.ModelSerializer[ReminderRecipient]):
    class Meta:
        model = ReminderRecipient
        fields = ["contact", "group", "number", "appointment_at", "time_zone"]
        read_only_fields = fields


class ReminderOutput(serializers.ModelSerializer[Reminder]):
    recipients = ReminderRecipientOutput(many=True, read_only=True)
    runs = ReminderRunOutput(many=True, read_only=True)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "name",
            "state",
            "is_drill",
            "prompt",
            "keypad",
            "policy",
            "time_zone",
            "starts_at",
            "lead_minutes",
            "quiet_start",
            "quiet_end",
            "repeat",
            "repeat_until",
            "next_run_at",
            "recipients",
            "runs",
            "created_at",
        ]
        read_only_fields = fields
