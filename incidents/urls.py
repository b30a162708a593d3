from django.urls import path

from incidents import views

call = "incidents/<int:incident_id>/calls/<int:call_id>"
urlpatterns = [
    path("", views.incident_list, name="home"),
    path("incidents/declare/", views.declare, name="declare"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:incident_id>/resolve/", views.resolve, name="incident_resolve"),
    path("incidents/<int:incident_id>/cancel/", views.cancel, name="incident_cancel"),
    path("incidents/<int:incident_id>/callout/stop/", views.stop_callout, name="callout_stop"),
    path("incidents/<int:incident_id>/escalate/", views.escalate, name="incident_escalate"),
    path(
        "incidents/<int:incident_id>/recipients/<int:recipient_id>/ring-again/",
        views.ring_recipient_again,
        name="recipient_ring_again",
    ),
    path(f"{call}/invite/", views.invite, name="call_invite"),
    path(f"{call}/participants/<int:participant_id>/remove/", views.remove, name="call_remove"),
    path(f"{call}/play/", views.play, name="call_play"),
    path(f"{call}/stop-audio/", views.stop_audio, name="call_stop_audio"),
    path(f"{call}/hang-up/", views.hang_up, name="call_hang_up"),
    path(f"{call}/retry/", views.retry, name="call_retry"),
    path(f"{call}/redial/", views.redial, name="call_redial"),
    path(
        f"{call}/participants/<int:participant_id>/ring-again/",
        views.ring_again,
        name="call_ring_again",
    ),
]
