"""Report pages and downloads: thin views over reports.selectors and reports.exports."""

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.permissions import requires
from accounts.roles import Action
from incidents.models import Incident
from incidents.selectors import get_incident_for, incidents_for
from reports import charts, exports, selectors
from reports.cost import current_rates
from reports.forms import ReportFilterForm
from reports.weekly import weekly_figures

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@require_safe
@requires(Action.VIEW)
def incident_report(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    report = selectors.incident_report(incident, rates=current_rates())
    steps = selectors.acknowledgements_over_time(report.people)
    lanes = selectors.bridge_lanes(report.people, incident)
    span = report.duration_seconds or 0
    context = {
        "report": report,
        "incident": incident,
        "summary": report.summary,
        "steps": steps,
        "lanes": lanes,
        "timeline": selectors.timeline_of(incident),
        "acks_chart": charts.acknowledgements_chart(steps, span=span),
        "outcomes_chart": charts.outcomes_chart(report.summary.outcomes),
        "bridge_chart": charts.bridge_chart(lanes, span=span),
    }
    return render(request, "reports/incident.html", context)


@require_safe
@requires(Action.VIEW)
def incident_export(
    request: HttpRequest, incident_id: str, table: str, fmt: str
) -> StreamingHttpResponse:
    incident = _incident_or_404(request, int(incident_id))  # the URL says digits
    return export_response(incident, table=table, fmt=fmt)


def export_response(incident: Incident, *, table: str, fmt: str) -> StreamingHttpResponse:
    """A download of the people or the timeline, as CSV or JSON, streamed as it is read."""
    if table == "people":
        records = exports.people_records(incident, current_rates())
        columns = exports.PERSON_COLUMNS
    else:
        records = exports.timeline_records(incident)
        columns = exports.TIMELINE_COLUMNS
    if fmt == "csv":
        stream = exports.csv_stream(records, columns)
    else:
        stream = exports.json_array_stream(records)
    response = StreamingHttpResponse(stream, content_type=CONTENT_TYPES[fmt])
    name = f"incident-{incident.pk}-{table}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
@requires(Action.VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    filters = ReportFilterForm(request.GET or None)
    incidents = filters.incidents(incidents_for(request.user))
    rates = current_rates()
    context = {
        "filters": filters,
        "since_until": filters.range(),
        "rates": rates,
        "buckets": weekly_figures(incidents.iterator(), rates=rates, group=filters.chosen_group()),
    }
    return render(request, "reports/overview.html", context)


def _incident_or_404(request: HttpRequest, incident_id: int) -> Incident:
    try:
        return get_incident_for(request.user, incident_id)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None
