"""Read-side queries for incidents, scoped to what a user may see."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, IntegerField, QuerySet, Value, When

from incidents.models import OPEN_STATUSES, Incident


def incidents_for(user: User | AnonymousUser) -> QuerySet[Incident]:
    """Incidents `user` may see: all of them for anyone holding the view permission."""
    if not user.has_perm("incidents.view_incident"):
        return Incident.objects.none()
    open_first = Case(
        When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return Incident.objects.select_related("declared_by").order_by(
        open_first, "-declared_at", "-id"
    )
