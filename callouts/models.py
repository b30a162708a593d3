"""Call-outs: one call per person, paced over a pool of caller numbers, retried by a policy.

A call-out belongs to an incident. Each recipient is tried in attempts; each attempt is one
calls.Call (its Repeatability-Request-ID is the call's `create_request_id`, stored before the
request goes out). A recipient's status follows from its attempts (callouts.services.settling).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from calls.models import AudioPrompt, Call
from contacts.models import Contact
from incidents.models import Incident


class Outcome(models.TextChoices):
    """How one attempt ended. The first two mean the person was reached (and gave an answer)."""

    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DECLINED_BY_KEY = "declined_by_key", "Cannot help (by key)"
    ANSWERED_NO_KEY = "answered_no_key", "Answered, no key (voicemail?)"
    DECLINED = "declined", "Declined the call"
    BUSY = "busy", "Busy"
    NO_ANSWER = "no_answer", "No answer"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled (call-out stopped)"
    CALL_BACK = "call_back", "Asked to be called back later (by key)"


# Answered by key: their confirmation plays on when the call-out stops ("call me back" too).
REACHED_OUTCOMES = frozenset({Outcome.ACKNOWLEDGED, Outcome.DECLINED_BY_KEY, Outcome.CALL_BACK})
# Retried by the default policy: every way of not getting an answer.
DEFAULT_RETRY_OUTCOMES = [
    Outcome.ANSWERED_NO_KEY.value,
    Outcome.DECLINED.value,
    Outcome.BUSY.value,
    Outcome.NO_ANSWER.value,
    Outcome.FAILED.value,
]
RETRYABLE_OUTCOMES = frozenset(DEFAULT_RETRY_OUTCOMES)


def default_retry_outcomes() -> list[str]:
    return list(DEFAULT_RETRY_OUTCOMES)


# How long an answered call may play its message without an answering key (a few loops of a
# typical message; an answering machine records it all the while).
DEFAULT_ANSWER_WINDOW_SECONDS = 120
MIN_ANSWER_WINDOW_SECONDS = 10
MAX_ANSWER_WINDOW_SECONDS = 3600


class CallerNumber(models.Model):
    """A number of the provider's that call-outs call from, with its limit of calls at once."""

    number = models.CharField(max_length=32, unique=True, help_text="E.164, e.g. +14255550100.")
    label = models.CharField(max_length=100, blank=True)
    max_simultaneous_calls = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="The provider's limit for this number (ACS: 2 PSTN calls at once).",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_simultaneous_calls__gte=1), name="caller_number_has_capacity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.label})" if self.label else self.number


class CalloutPolicy(models.Model):
    """A preset: how often to try each person, how long to wait between tries, and after what."""

    name = models.CharField(max_length=100, unique=True)
    max_attempts = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    retry_wait_seconds = models.PositiveIntegerField(
        default=300, validators=[MaxValueValidator(24 * 3600)]
    )
    retry_outcomes = models.JSONField(
        default=default_retry_outcomes,
        help_text="Outcomes after which a person is tried again: "
        + ", ".join(o for o in DEFAULT_RETRY_OUTCOMES),
    )
    answer_window_seconds = models.PositiveIntegerField(
        default=DEFAULT_ANSWER_WINDOW_SECONDS,
        validators=[
            MinValueValidator(MIN_ANSWER_WINDOW_SECONDS),
            MaxValueValidator(MAX_ANSWER_WINDOW_SECONDS),
        ],
        help_text="How long an answered call may go on without an answering key before it is "
        "hung up as answered without a key (an answering machine, or someone who does not "
        "press).",
    )
    is_default = models.BooleanField(
        default=False, help_text="Used when a call-out is started without choosing a policy."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "call-out policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_policy"
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="policy_tries_at_least_once"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CalloutState(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"  # everyone was tried as the policy says
    STOPPED = "stopped", "Stopped"  # by quorum, the operator, or the incident closing


class StopReason(models.TextChoices):
    QUORUM = "quorum", "Enough people acknowledged"
    OPERATOR = "operator", "Stopped by an operator"
    INCIDENT_CLOSED = "incident_closed", "The incident was closed"


class Callout(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="callout")
    prompt = models.ForeignKey(
        AudioPrompt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    policy = models.ForeignKey(
        CalloutPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The preset chosen, if any; its rules are copied below when starting.",
    )
    # The rules in force, copied when the call-out starts: editing a preset later does not
    # change a call-out that is running.
    max_attempts = models.PositiveSmallIntegerField()
    retry_wait_seconds = models.PositiveIntegerField()
    retry_outcomes = models.JSONField()
    answer_window_seconds = models.PositiveIntegerField(default=DEFAULT_ANSWER_WINDOW_SECONDS)
    keypad = models.JSONField()
    quorum = models.PositiveIntegerField(
        null=True, blank=True, help_text="Stop once this many people acknowledged."
    )
    state = models.CharField(
        max_length=16, choices=CalloutState.choices, default=CalloutState.RUNNING
    )
    stop_reason = models.CharField(max_length=32, choices=StopReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Its attempts that ended after being claimed, and their seconds from claim to end, kept
    # by settling: the estimate's mean call duration without reading every attempt (on SQLite
    # that took ~100 ms at 10,000 recipients, on every change of the counts).
    timed_calls = models.PositiveIntegerField(default=0, editable=False)
    timed_call_seconds = models.FloatField(default=0.0, editable=False)
    # Nobody is called in these local hours (callouts.quiet_hours), in each recipient's zone,
    # else this one ("" is UTC): reminders set them, for first tries and retries alike.
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=CalloutState.values), name="callout_state_is_known"
            ),
            models.CheckConstraint(
                condition=Q(state=CalloutState.RUNNING, finished_at__isnull=True)
                | Q(~Q(state=CalloutState.RUNNING), finished_at__isnull=False),
                name="callout_finished_at_matches_state",
            ),
        ]

    def __str__(self) -> str:
        return f"Call-out for incident #{self.incident_id}"

    @property
    def is_running(self) -> bool:
        return self.state == CalloutState.RUNNING


class RecipientStatus(models.TextChoices):
    """Where a person stands; the API's count names are these values."""

    PENDING = "pending", "Waiting to be called"
    DIALLING = "dialling", "Being called"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DECLINED = "declined", "Cannot help"
    NOT_REACHED = "not_reached", "Not reached"
    FAILED = "failed", "Could not be called"
    STOPPED = "stopped", "Not called: the call-out stopped"


FINAL_RECIPIENT_STATUSES = frozenset(
    {
        RecipientStatus.ACKNOWLEDGED,
        RecipientStatus.DECLINED,
        RecipientStatus.NOT_REACHED,
        RecipientStatus.FAILED,
        RecipientStatus.STOPPED,
    }
)


class Recipient(models.Model):
    callout = models.ForeignKey(Callout, on_delete=models.CASCADE, related_name="recipients")
    position = models.PositiveIntegerField(help_text="Called in this order.")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    identifier = models.CharField(max_length=200)  # "+E164" or "8:acs:..."
    # Copied when the call-out starts, so that a table of 10,000 people needs no join.
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    attempts_made = models.PositiveSmallIntegerField(default=0)
    # While pending after a try: not to be called again before this time.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, help_text="IANA; for quiet hours.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["callout", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["callout", "identifier"], name="recipient_once_per_callout"
            ),
            models.UniqueConstraint(
                fields=["callout", "position"], name="recipient_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RecipientStatus.values), name="recipient_status_is_known"
            ),
        ]
        indexes = [
            models.Index(
                fields=["callout", "status", "next_attempt_at", "position"],
                name="recipient_due",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.identifier


class Attempt(models.Model):
    """One try at one recipient: one call, from one caller number."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(help_text="1 for the first try.")
    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="attempt")
    caller_number = models.ForeignKey(
        CallerNumber, on_delete=models.PROTECT, related_name="attempts"
    )
    # The start slot the pacer gave it (the global start rate); sent at or after this time.
    scheduled_at = models.DateTimeField()
    # When a worker last took it up to send the create-call (a lease: see callouts.recovery).
    claimed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Set when its call is over: until then it holds one of its number's slots.
    ended_at = models.DateTimeField(null=True, blank=True)
    # When its call is hung up if still up (callouts.services.overstaying): the answer window
    # from when it was answered, then a grace for the spoken confirmation once a key answered.
    hang_up_at = models.DateTimeField(null=True, blank=True)
    # The person pressed "join the bridge" and their call has ended (stored with that end), and
    # when they were put through or told why not (callouts.services.bridging): a wish still
    # unsettled a lease later was lost with its worker and is taken up again.
    bridge_wanted_at = models.DateTimeField(null=True, blank=True, editable=False)
    bridge_settled_at = models.DateTimeField(null=True, blank=True, editable=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    keys = models.CharField(max_length=50, blank=True)
    provider_code = models.CharField(max_length=50, blank=True)
    provider_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recipient", "number"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "number"], name="attempt_number_unique"),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(outcome__in=Outcome.values),
                name="attempt_outcome_is_known",
            ),
        ]
        indexes = [
            models.Index(
                fields=["caller_number"],
                condition=Q(ended_at__isnull=True),
                name="attempt_in_flight",
            ),
            models.Index(
                fields=["bridge_wanted_at"],
                condition=Q(bridge_wanted_at__isnull=False, bridge_settled_at__isnull=True),
                name="attempt_bridge_unsettled",
            ),
            models.Index(
                fields=["hang_up_at"],
                condition=Q(ended_at__isnull=True, hang_up_at__isnull=False),
                name="attempt_hang_up_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} at {self.recipient}"


class StartClock(models.Model):
    """The one row that paces call starts across every worker: the next free start slot."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    next_start_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Next call start at {self.next_start_at}"
