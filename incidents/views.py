from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from incidents.selectors import incidents_for


def incident_list(request: HttpRequest) -> HttpResponse:
    incidents = incidents_for(request.user)[:200]
    return render(request, "incidents/list.html", {"incidents": incidents})
