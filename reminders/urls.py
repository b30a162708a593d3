from django.urls import path

from reminders import views

urlpatterns = [
    path("reminders/", views.reminder_list, name="reminder_list"),
    path("reminders/new/", views.reminder_new, name="reminder_new"),
    path("reminders/preview/", views.reminder_preview, name="reminder_preview"),
    path("reminders/create/", views.reminder_create, name="reminder_create"),
    path("reminders/<int:reminder_id>/", views.reminder_detail, name="reminder_detail"),
    path("reminders/<int:reminder_id>/export.csv", views.reminder_export, name="reminder_export"),
    path("reminders/<int:reminder_id>/cancel/", views.reminder_cancel, name="reminder_cancel"),
]
