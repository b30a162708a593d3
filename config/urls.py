from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import favicon, health, metrics

# The admin site's own name, set once here for every admin page.
admin.site.site_header = "Incident Reporter administration"
admin.site.site_title = "Incident Reporter administration"
admin.site.index_title = "Incidents, calls and contacts"

# Password reset is left out on purpose: it needs outgoing e-mail, which the app does not set up.
account_patterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include(account_patterns)),
    path("api/", include("config.api_urls")),
    path("", include("calls.urls")),
    path("", include("incidents.urls")),
    path("", include("reminders.urls")),
    path("", include("reports.urls")),
]
