from django.urls import path

from incidents.consumers import IncidentConsumer, IncidentListConsumer

websocket_urlpatterns = [
    # Channels' URLRouter takes Django's path(); the stubs only know HTTP views.
    path("ws/incidents/", IncidentListConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/incidents/<int:incident_id>/", IncidentConsumer.as_asgi()),  # type: ignore[arg-type]
]
