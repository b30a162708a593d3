"""Calls placed through the provider, the people on them, and every event the provider sent."""

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models
from django.db.models import Q

from calls.audio import MAX_PROMPT_BYTES, validate_prompt_wav
from calls.keypad import default_keypad, validate_keypad
from calls.speech import DEFAULT_VOICE, MAX_TEXT_LENGTH, VOICE_CHOICES
from contacts.models import Contact
from incidents.models import Incident


class CallMode(models.TextChoices):
    BRIDGE = "bridge", "Bridge (everyone on one call)"
    BROADCAST = "broadcast", "Broadcast (one call per person)"


class CallState(models.TextChoices):
    """The provider's call states, plus the two the app needs before the provider knows the call."""

    PENDING = "pending", "Not placed yet"
    FAILED = "failed", "Provider refused"
    ESTABLISHING = "establishing", "Establishing"
    ESTABLISHED = "established", "Established"
    TERMINATING = "terminating", "Terminating"
    TERMINATED = "terminated", "Terminated"


# Provider events arrive out of order; a call's state only ever moves up this ladder.
CALL_STATE_RANK: dict[str, int] = {
    CallState.PENDING: 0,
    CallState.FAILED: 1,
    CallState.ESTABLISHING: 2,
    CallState.ESTABLISHED: 3,
    CallState.TERMINATING: 4,
    CallState.TERMINATED: 5,
}


class MediaState(models.TextChoices):
    IDLE = "idle", "Silent"
    PLAYING = "playing", "Playing a prompt"


def new_callback_secret() -> str:
    return secrets.token_urlsafe(32)


class Call(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="calls")
    mode = models.CharField(max_length=16, choices=CallMode.choices, default=CallMode.BRIDGE)
    state = models.CharField(max_length=16, choices=CallState.choices, default=CallState.PENDING)
    provider_call_id = models.CharField("provider call-leg id", max_length=200, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    # Part of the callback URL: only the provider that placed the call knows it.
    callback_secret = models.CharField(
        max_length=64, unique=True, default=new_callback_secret, editable=False
    )
    # Sent as Repeatability-Request-ID so a retried create-call never rings anyone twice.
    create_request_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    create_first_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True)
    prompt = models.ForeignKey(
        "AudioPrompt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    media_state = models.CharField(
        max_length=16, choices=MediaState.choices, default=MediaState.IDLE
    )
    # Event time of the roster snapshot last applied: older snapshots arriving late are ignored.
    roster_at = models.DateTimeField(null=True, blank=True, editable=False)
    # GA's sequence number of that snapshot: where events carry one, it orders them instead.
    roster_sequence = models.BigIntegerField(null=True, blank=True, editable=False)
    # The app's own identity on the call (the create-call response's `source` on GA,
    # ACS_SOURCE_ID on the preview): rosters list it, and it is not a participant.
    provider_source_id = models.CharField(max_length=200, blank=True, editable=False)
    # A call-out's attempt (set by callouts.services.pacing): the call-out tells its dashboards
    # and the timeline what became of it, so its own changes are not announced one by one
    # (calls.services.announcements). Broadcast mode alone does not say so: ringing people of
    # an ended broadcast call again (calls.services.again) makes broadcast calls of no call-out.
    quiet = models.BooleanField(default=False, editable=False)
    # When the app last read the call from the provider because a callback was overdue
    # (calls.services.reconciling): each read is spent once per overdue event.
    reconciled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the provider first answered a request to hear someone's keys on this call
    # (calls.services.keys), accepting or refusing it: on GA the welcome prompt waits for it,
    # so that a key pressed as soon as the message starts is heard.
    keys_answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the welcome prompt was claimed for playing (calls.services.welcome), before the
    # request: both of its triggers may fire, in different processes, and it plays once.
    welcome_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When that play was done with (played, refused, or not needed): a claim left without it
    # past calls.services.welcome.CLAIM_LEASE died with its process and is played again.
    welcome_done_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=CallState.values), name="call_state_is_known"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=CallMode.values), name="call_mode_is_known"
            ),
            models.UniqueConstraint(
                fields=["provider_call_id"],
                condition=~Q(provider_call_id=""),
                name="unique_provider_call_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} call for incident #{self.incident_id}"

    @property
    def is_live(self) -> bool:
        return self.state in (CallState.ESTABLISHING, CallState.ESTABLISHED)


class ParticipantState(models.TextChoices):
    INVITED = "invited", "Invited"
    RINGING = "ringing", "Ringing"
    JOINED = "joined", "Joined"
    LEFT = "left", "Left"
    FAILED = "failed", "Did not answer"
    REMOVED = "removed", "Removed"


class Participant(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="participants")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="participations"
    )
    # What the provider dials and reports: "+E164" or "8:acs:...".
    identifier = models.CharField(max_length=200)
    provider_participant_id = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=16, choices=ParticipantState.choices, default=ParticipantState.INVITED
    )
    # When the provider started dialling them: the ring timeout counts from here.
    ringing_since = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    keys_pressed = models.CharField(max_length=200, blank=True)
    acknowledged = models.BooleanField(default=False)
    # Someone the app never invited who showed up in the provider's roster (dialled in, or
    # added by someone else): recorded and shown flagged, not passed off as one of ours.
    uninvited = models.BooleanField(default=False, editable=False)
    # When the app last asked the provider to report this person's keys (calls.services.keys;
    # claimed before the request): a join whose request was lost (a worker killed after the
    # commit) is asked again by the sweep.
    keys_listened_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the provider answered that request (accepted or refused): a claim left unanswered
    # past calls.services.welcome.CLAIM_LEASE died with its process and is asked again.
    keys_answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    # An invitation into a running call (calls.services.inviting), stored before the request:
    # its Repeatability-Request-ID (also its operation context) and -First-Sent, so a retry or
    # the resend sweep rings them once. Empty for people a create-call dialled.
    invite_request_id = models.UUIDField(null=True, blank=True, editable=False)
    invite_first_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the invitation last went out: the sweep leaves one still in flight alone.
    invite_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Why the provider refused their invitation ("<code>: <message>").
    last_error = models.CharField(max_length=500, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "identifier"], name="participant_called_once_per_call"
            ),
            models.UniqueConstraint(
                fields=["call", "provider_participant_id"],
                condition=~Q(provider_participant_id=""),
                name="unique_provider_participant_id_per_call",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ParticipantState.values), name="participant_state_is_known"
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True)
                | Q(joined_at__isnull=False, left_at__gte=models.F("joined_at")),
                name="participant_leaves_after_joining",
            ),
        ]

    def __str__(self) -> str:
        return self.contact.name if self.contact else self.identifier


def validate_prompt_file(file: File) -> None:  # type: ignore[type-arg]
    if file.size is not None and file.size > MAX_PROMPT_BYTES:
        raise ValidationError("Audio prompts may be at most 20 MB.", code="too_large")
    file.seek(0)
    validate_prompt_wav(file)
    file.seek(0)


class AudioPrompt(models.Model):
    """A message the provider plays on a call, served to it at a public URL."""

    name = models.CharField(max_length=200, unique=True)
    # A recording, or text the provider speaks (calls.speech): one of the two.
    audio = models.FileField(
        upload_to="prompts/",
        validators=[validate_prompt_file],
        blank=True,
        help_text=("A recording: WAV, mono, 16-bit, 16 kHz. Or leave it empty and type the text."),
    )
    text = models.TextField(
        max_length=MAX_TEXT_LENGTH,
        blank=True,
        help_text=f"What is said, spoken by text-to-speech (up to {MAX_TEXT_LENGTH} characters).",
    )
    voice = models.CharField(
        max_length=64,
        choices=VOICE_CHOICES,
        default=DEFAULT_VOICE,
        help_text="The language and voice that speak the text.",
    )
    duration_ms = models.PositiveIntegerField(default=0, editable=False)
    one_off = models.BooleanField(
        default=False,
        editable=False,
        help_text="Typed by an operator when declaring; not offered in the lists of prompts.",
    )
    is_default = models.BooleanField(
        default=False, help_text="Played when an incident is declared without choosing one."
    )
    keypad = models.JSONField(
        default=default_keypad,
        validators=[validate_keypad],
        help_text='What each key does on a call-out call, e.g. {"1": "acknowledge", '
        '"2": "decline", "9": "join_bridge", "*": "replay"}. The recording should say the same.',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_prompt"
            ),
            models.CheckConstraint(
                condition=(Q(audio="") & ~Q(text="")) | (~Q(audio="") & Q(text="")),
                name="prompt_is_audio_or_text",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CallEvent(models.Model):
    """A provider callback event exactly as received; stored before it is applied."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=120)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Preview events often carry "id": null, so redeliveries are recognised by content.
    digest = models.CharField(max_length=64, unique=True)
    # Empty until the event has changed the call: stored first, applied after (in order).
    applied_at = models.DateTimeField(null=True, blank=True)
    # The callback request that brought it, and when that arrived: the log lines of applying
    # it carry the id, and its broadcast is timed from then (README "Operability").
    request_id = models.CharField(max_length=128, blank=True, default="")
    ingested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [
            models.Index(
                fields=["call", "id"],
                condition=Q(applied_at__isnull=True),
                name="callevent_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} at {self.received_at:%H:%M:%S}"
