"""What an alert declares or resolves is recorded as its integration's doing."""

import pytest

from audit.models import AuditAction, AuditEntry, Source
from integrations.models import AlertOutcome, IntegrationKind
from tests.integrations.test_alerts import alert_then_process, body, integration

pytestmark = pytest.mark.django_db


def test_an_alert_declares_and_resolves_as_its_integration() -> None:
    kind = IntegrationKind.ALERTMANAGER
    made = integration(kind)
    assert alert_then_process(made, body(kind, "firing")).outcome == AlertOutcome.DECLARED
    assert alert_then_process(made, body(kind, "resolved")).outcome == AlertOutcome.RESOLVED
    rows = list(
        AuditEntry.objects.order_by("id").values_list("action", "source", "via", "actor_name")
    )
    assert rows == [
        (AuditAction.DECLARE, Source.INTEGRATION, made.name, ""),
        (AuditAction.RESOLVE, Source.INTEGRATION, made.name, ""),
    ]
