from django.urls import path

from incidents.consumers import IncidentConsumer

websocket_urlpatterns = [
    # Channels' URLRouter takes Django's path(); the stubs only know HTTP views.
    path("ws/incidents/<int:incident_id>/", IncidentConsumer.as_asgi()),  # type: ignore[arg-type]
]
