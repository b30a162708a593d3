"""One factory per model, with the smallest valid defaults."""

from pathlib import Path

from django.contrib.auth.models import User
from django.utils import timezone
from factory.declarations import LazyAttribute, LazyFunction, SelfAttribute, Sequence, SubFactory
from factory.django import DjangoModelFactory, FileField, Password
from factory.faker import Faker

from callouts.models import Attempt, CallerNumber, Callout, Recipient
from calls.keypad import default_keypad
from calls.models import (
    AudioPrompt,
    Call,
    CallEvent,
    CallMode,
    CallState,
    Participant,
    ParticipantState,
)
from contacts.models import Contact, ContactGroup
from incidents.models import Incident, IncidentStatus, TimelineEntry
from tests.provider_callbacks import callback
from tests.provider_callbacks import event_type as type_of
from webhooks.models import Subscription
from webhooks.services.subscribing import new_secret


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = Sequence(lambda n: f"user{n}")
    password = Password("correct horse battery staple")


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    name = Sequence(lambda n: f"Contact {n}")
    phone_number = Sequence(lambda n: f"+1425555{n % 10000:04d}")


class ContactGroupFactory(DjangoModelFactory[ContactGroup]):
    class Meta:
        model = ContactGroup

    name = Sequence(lambda n: f"Group {n}")


class IncidentFactory(DjangoModelFactory[Incident]):
    class Meta:
        model = Incident

    title = Sequence(lambda n: f"Incident {n}")
    declared_by = SubFactory(UserFactory)


class TimelineEntryFactory(DjangoModelFactory[TimelineEntry]):
    class Meta:
        model = TimelineEntry

    incident = SubFactory(IncidentFactory)
    at = LazyFunction(timezone.now)
    kind = "action"
    text = "Something happened."


class CallFactory(DjangoModelFactory[Call]):
    class Meta:
        model = Call

    incident = SubFactory(IncidentFactory)
    provider_call_id = Faker("uuid4")


class ParticipantFactory(DjangoModelFactory[Participant]):
    class Meta:
        model = Participant

    call = SubFactory(CallFactory)
    identifier = Sequence(lambda n: f"+1206555{n % 10000:04d}")


class CallEventFactory(DjangoModelFactory[CallEvent]):
    class Meta:
        model = CallEvent

    call = SubFactory(CallFactory)
    # A call-connected event in the dialect in force, as the provider would have sent it.
    payload = LazyAttribute(lambda o: callback("CallConnected", call=o.call))
    event_type = LazyAttribute(lambda o: type_of(o.payload))
    digest = Faker("sha256")


DEFAULT_PROMPT_WAV = Path(__file__).resolve().parents[1] / "calls/assets/default-prompt.wav"


class AudioPromptFactory(DjangoModelFactory[AudioPrompt]):
    class Meta:
        model = AudioPrompt

    name = Sequence(lambda n: f"Prompt {n}")
    audio = FileField(from_path=str(DEFAULT_PROMPT_WAV), filename="prompt.wav")


class CallerNumberFactory(DjangoModelFactory[CallerNumber]):
    class Meta:
        model = CallerNumber
        django_get_or_create = ("number",)

    number = "+14255550100"


class CalloutFactory(DjangoModelFactory[Callout]):
    class Meta:
        model = Callout

    incident = SubFactory(IncidentFactory, status=IncidentStatus.ACTIVE)
    max_attempts = 3
    retry_wait_seconds = 300
    retry_outcomes = LazyFunction(lambda: ["no_answer"])
    keypad = LazyFunction(default_keypad)


class RecipientFactory(DjangoModelFactory[Recipient]):
    class Meta:
        model = Recipient

    callout = SubFactory(CalloutFactory)
    position = Sequence(lambda n: n + 1)
    identifier = Sequence(lambda n: f"+1206555{n % 10000:04d}")
    name = Sequence(lambda n: f"Person {n}")


class AttemptFactory(DjangoModelFactory[Attempt]):
    """An attempt whose call is out and ringing; pass call__state for another stage."""

    class Meta:
        model = Attempt

    recipient = SubFactory(RecipientFactory, status="dialling", attempts_made=1)
    number = 1
    call = SubFactory(
        CallFactory,
        incident=SelfAttribute("..recipient.callout.incident"),
        mode=CallMode.BROADCAST,
        quiet=True,
        state=CallState.ESTABLISHING,
    )
    caller_number = SubFactory(CallerNumberFactory)
    scheduled_at = LazyFunction(timezone.now)
    claimed_at = LazyFunction(timezone.now)


class SubscriptionFactory(DjangoModelFactory[Subscription]):
    class Meta:
        model = Subscription

    url = Sequence(lambda n: f"https://hooks{n}.example.com/incidents")
    events = LazyFunction(lambda: ["incident.declared"])
    secret = LazyFunction(new_secret)


def one_of_everything() -> dict[str, int]:
    """One of everything the endpoints act on, in states where every action can succeed."""
    contact = ContactFactory.create()
    group = ContactGroupFactory.create()
    group.members.add(contact)
    # declared_by=None: no extra users, whose password hashing would dominate the run time.
    call = CallFactory.create(
        incident__status=IncidentStatus.ACTIVE,
        incident__declared_by=None,
        state=CallState.ESTABLISHED,
    )
    participant = ParticipantFactory.create(
        call=call,
        state=ParticipantState.JOINED,
        joined_at=timezone.now(),
        identifier="+14255550199",
        provider_participant_id="4:+14255550199",  # a raw id, as both dialects' rosters give
    )
    failed_call = CallFactory.create(
        incident__declared_by=None, state=CallState.FAILED, provider_call_id=""
    )
    ParticipantFactory.create(call=failed_call)
    return {
        "contact": contact.pk,
        "group": group.pk,
        "incident": call.incident_id,
        "call": call.pk,
        "participant": participant.pk,
        "failed_call": failed_call.pk,
        "prompt": AudioPromptFactory.create().pk,
        "webhook": SubscriptionFactory.create().pk,
    }
