from django.urls import path, re_path

from reports import views

urlpatterns = [
    path("reports/", views.overview, name="reports"),
    path("incidents/<int:incident_id>/report/", views.incident_report, name="incident_report"),
    re_path(
        r"^incidents/(?P<incident_id>[0-9]+)/report/(?P<table>people|timeline)\.(?P<fmt>csv|json)$",
        views.incident_export,
        name="incident_export",
    ),
]
