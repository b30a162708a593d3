from django.urls import path

from calls import api, views

app_name = "calls"
urlpatterns = [
    path(
        "calls/<int:call_id>/events/<str:secret>/",
        api.ProviderCallbackView.as_view(),
        name="callback",
    ),
    path("calls/prompts/<int:prompt_id>.wav", views.prompt_audio, name="prompt_audio"),
    path("calls/spoken/<slug:name>.wav", views.spoken_audio, name="spoken_audio"),
]
