from django.urls import path

from incidents import views

urlpatterns = [
    path("", views.incident_list, name="home"),
]
