import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError

from calls.targets import Target
from incidents.errors import InvalidTransition
from incidents.models import Incident, IncidentStatus, TimelineKind
from incidents.services import declare_incident, transition_incident
from tests.factories import AudioPromptFactory, IncidentFactory
from tests.provider_fake import FakeProvider


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path"),
    [
        [IncidentStatus.ACTIVE, IncidentStatus.RESOLVED],
        [IncidentStatus.ACTIVE, IncidentStatus.CANCELLED],
        [IncidentStatus.CANCELLED],
    ],
)
def test_allowed_transitions_succeed_and_are_logged(
    operator: User, path: list[IncidentStatus]
) -> None:
    incident = IncidentFactory.create()
    for status in path:
        incident = transition_incident(incident=incident, to=status, actor=operator)
    incident.refresh_from_db()
    assert incident.status == path[-1]
    assert incident.closed_at is not None
    entries = list(incident.timeline.filter(kind=TimelineKind.STATUS))
    assert len(entries) == len(path)
    assert entries[-1].actor == operator
    assert "operator" in entries[-1].text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "to"),
    [
        (IncidentStatus.DECLARED, IncidentStatus.RESOLVED),
        (IncidentStatus.RESOLVED, IncidentStatus.ACTIVE),
        (IncidentStatus.CANCELLED, IncidentStatus.ACTIVE),
        (IncidentStatus.RESOLVED, IncidentStatus.CANCELLED),
        (IncidentStatus.ACTIVE, IncidentStatus.DECLARED),
    ],
)
def test_invalid_transition_raises_a_domain_error_and_changes_nothing(
    start: IncidentStatus, to: IncidentStatus
) -> None:
    closed = start in (IncidentStatus.RESOLVED, IncidentStatus.CANCELLED)
    incident = IncidentFactory.create(
        status=start, closed_at="2026-01-01T00:00Z" if closed else None
    )
    with pytest.raises(InvalidTransition) as excinfo:
        transition_incident(incident=incident, to=to)
    assert excinfo.value.code == "invalid_transition"
    incident.refresh_from_db()
    assert incident.status == start
    assert not incident.timeline.exists()


@pytest.mark.django_db
def test_database_refuses_an_unknown_status() -> None:
    with pytest.raises(IntegrityError):
        IncidentFactory.create(status="exploded")


@pytest.mark.django_db
def test_database_refuses_a_closed_incident_without_closed_at() -> None:
    with pytest.raises(IntegrityError):
        IncidentFactory.create(status=IncidentStatus.RESOLVED, closed_at=None)


@pytest.mark.django_db
def test_open_queryset_excludes_closed_incidents() -> None:
    open_one = IncidentFactory.create()
    transition_incident(incident=IncidentFactory.create(), to=IncidentStatus.CANCELLED)
    assert list(Incident.objects.open()) == [open_one]


@pytest.mark.django_db
def test_declare_without_naming_a_prompt_plays_the_default_and_none_plays_nothing(
    operator: User, provider: FakeProvider
) -> None:
    default = AudioPromptFactory.create(is_default=True)
    targets = [Target("+14255550101", None)]
    unnamed = declare_incident(title="Fire", targets=targets, declared_by=operator)
    silent = declare_incident(title="Fire", targets=targets, prompt=None, declared_by=operator)
    assert [c.prompt for c in unnamed.calls.all()] == [default]
    assert [c.prompt for c in silent.calls.all()] == [None]
