"""The `data` of each event: JSON primitives only (ids, strings, ISO times, counts).

Documented in the README ("Webhooks"); a field once sent is part of the contract.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse

from incidents.models import Incident


def incident_data(incident: Incident) -> dict[str, Any]:
    """The incident as every incident event carries it."""
    path = reverse("incident_detail", kwargs={"incident_id": incident.pk})
    return {
        "id": incident.pk,
        "title": incident.title,
        "severity": str(incident.severity),
        "status": str(incident.status),
        "url": f"{settings.PUBLIC_BASE_URL}{path}",
    }


def person_data(*, name: str, identifier: str, via: str) -> dict[str, Any]:
    """Who acknowledged: their name (or, unknown, their number), identifier and how
    (`"callout"`: a key on their call-out call; `"bridge"`: a key on the bridge call)."""
    return {"name": name or identifier, "identifier": identifier, "via": via}
