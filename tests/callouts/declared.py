"""Call-outs for tests, declared as the API declares them (recipients stored, nobody dialled)."""

from django.contrib.auth.models import User

from callouts.models import Callout
from calls.models import CallMode
from calls.targets import resolve_targets
from incidents.services import declare_incident


def numbers(count: int, first: int = 0) -> list[str]:
    """`count` distinct fictional North American numbers (+1 425 555 xxxx)."""
    return [f"+1425555{n:04d}" for n in range(first, first + count)]


def declared_callout(
    count: int = 3, *, by: User | None = None, quorum: int | None = None
) -> Callout:
    incident = declare_incident(
        title="Power outage",
        targets=resolve_targets(numbers=numbers(count, first=100)),
        mode=CallMode.BROADCAST,
        quorum=quorum,
        declared_by=by,
    )
    return Callout.objects.get(incident=incident)
