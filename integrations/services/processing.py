"""What a stored alert leads to: one incident per dedup key while it is open.

A firing alert declares an incident, unless one declared by the same integration for the same
key is still open: then it adds a line to that incident's timeline. A resolved alert resolves
that incident (or, with `resolve_on_clear` off, notes it); with none open it changes nothing.

Run by the `process_alert` task, safe to run twice or side by side: the declaration records
the alert's outcome inside its own transaction (declare_incident's `on_declared`), after
locking the integration and checking again that no incident is open for the key, so two
workers processing repeats of one alert never declare twice.
"""

from django.db import transaction
from django.utils import timezone

from audit.models import Source
from audit.origin import acting_for
from calls.models import CallMode
from calls.services.prompts import DEFAULT_PROMPT
from calls.targets import targets_of
from config.errors import DomainError
from escalations.services.declaring import declare_with_policy
from incidents.errors import CallsNotPlaced, InvalidTransition
from incidents.models import OPEN_STATUSES, Incident, Severity, TimelineKind
from incidents.services import resolve_incident
from incidents.timeline import add_timeline_entry
from integrations.models import Alert, AlertOutcome, Integration


class _Handled(Exception):
    """Another worker got to this alert, or to its key, first: undo, and look again."""


def process(*, alert_id: int) -> None:
    """Declare, note or resolve what the queued alert `alert_id` says; an alert already
    processed is left alone. A declaration the rules refuse (nobody to call, say) marks the
    alert failed with the reason. Raises nothing of its own."""
    alert = Alert.objects.select_related("integration__escalation_policy").get(pk=alert_id)
    if alert.outcome != AlertOutcome.QUEUED:
        return
    # What it declares or resolves is the integration's doing, in the audit log.
    with acting_for(source=Source.INTEGRATION, via=alert.integration.name):
        _process(alert)


def _process(alert: Alert) -> None:
    incident = open_incident_of(alert)
    if alert.firing and incident is None:
        _declare(alert)
    elif alert.firing and incident is not None:
        _note(alert, incident, AlertOutcome.REPEATED, f"The alert fired again: {alert.title}.")
    elif incident is None:
        _finish(alert, AlertOutcome.IGNORED)
    elif alert.integration.resolve_on_clear:
        _resolve(alert, incident)
    else:
        _note(alert, incident, AlertOutcome.CLEARED, f"The alert was resolved: {alert.title}.")


def open_incident_of(alert: Alert) -> Incident | None:
    """The open incident an alert of the same integration and key declared, if any."""
    declared = (
        Alert.objects.filter(
            integration_id=alert.integration_id,
            dedup_key=alert.dedup_key,
            outcome=AlertOutcome.DECLARED,
            incident__status__in=OPEN_STATUSES,
        )
        .select_related("incident")
        .order_by("-pk")
        .first()
    )
    return declared.incident if declared is not None else None


def incident_severity(integration: Integration, severity: str) -> Severity:
    """The incident's severity for an alert's: by the integration's map, else major."""
    mapped = integration.severity_map.get(severity.lower()) if severity else None
    return Severity(mapped) if mapped in Severity.values else Severity.MAJOR


def _declare(alert: Alert) -> None:
    integration = alert.integration

    def record(incident: Incident) -> None:  # inside the declaring transaction
        if not _claim(alert) or open_incident_of(alert) is not None:
            raise _Handled
        alert.outcome, alert.incident = AlertOutcome.DECLARED, incident
        alert.processed_at = timezone.now()
        alert.save(update_fields=["outcome", "incident", "processed_at"])
        add_timeline_entry(
            incident_id=incident.pk,
            kind=TimelineKind.STATUS,
            text=f"Declared by an alert from {integration.name}: {alert.title}.",
        )

    try:
        declare_with_policy(
            policy=integration.escalation_policy,
            title=alert.title or alert.dedup_key[:200],
            description=alert.description,
            severity=incident_severity(integration, alert.severity),
            targets=targets_of(
                groups=integration.groups.all(), contacts=integration.contacts.all()
            ),
            mode=CallMode(integration.mode),
            prompt=integration.prompt or DEFAULT_PROMPT,
            declared_by=None,
            on_declared=record,
        )
    except _Handled:
        process(alert_id=alert.pk)  # declared by another worker meanwhile: a repeat now
    except CallsNotPlaced:
        pass  # declared all the same; its failed calls are on the incident page to retry
    except DomainError as exc:  # nobody to call, too many people, no caller number...
        _finish(alert, AlertOutcome.FAILED, message=exc.message)


def _note(alert: Alert, incident: Incident, outcome: AlertOutcome, said: str) -> None:
    with transaction.atomic():
        if not _claim(alert):
            return
        add_timeline_entry(incident_id=incident.pk, kind=TimelineKind.STATUS, text=said)
        alert.outcome, alert.incident = outcome, incident
        alert.processed_at = timezone.now()
        alert.save(update_fields=["outcome", "incident", "processed_at"])


def _resolve(alert: Alert, incident: Incident) -> None:
    # Resolved first, then recorded: a worker killed in between leaves the alert queued, and
    # its next run finds the incident closed (ignored) rather than an alert marked resolved
    # whose incident never was.
    try:
        resolve_incident(incident=incident, actor=None)
    except InvalidTransition:
        _finish(alert, AlertOutcome.IGNORED)  # closed meanwhile, by an operator or a repeat
        return
    with transaction.atomic():
        add_timeline_entry(
            incident_id=incident.pk,
            kind=TimelineKind.STATUS,
            text=f"Resolved by an alert from {alert.integration.name}: {alert.title}.",
        )
        _finish(alert, AlertOutcome.RESOLVED, incident=incident)


def _finish(
    alert: Alert, outcome: AlertOutcome, *, message: str = "", incident: Incident | None = None
) -> None:
    Alert.objects.filter(pk=alert.pk, outcome=AlertOutcome.QUEUED).update(
        outcome=outcome, message=message[:500], incident=incident, processed_at=timezone.now()
    )


def _claim(alert: Alert) -> bool:
    """Lock the alert's integration (alerts of one integration are decided one at a time) and
    the alert; False if it was processed meanwhile. In the caller's transaction."""
    Integration.objects.select_for_update().filter(pk=alert.integration_id).first()
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    return locked.outcome == AlertOutcome.QUEUED
