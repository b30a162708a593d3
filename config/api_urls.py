"""Everything under /api/: the resources, the OpenAPI schema and its browsable docs.

DRF authenticates these views itself (token or session) and answers 401/403 in the API's
error shape, so LoginRequiredMiddleware, which would redirect to the login page, steps aside.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from callouts.api import IncidentCalloutViewSet
from calls.api import AudioPromptViewSet, CallViewSet
from contacts.api import ContactGroupViewSet, ContactViewSet
from escalations.api import EscalationPolicyViewSet, IncidentEscalationViewSet
from incidents.api import IncidentViewSet
from integrations.api import AlertIntakeView, IntegrationViewSet
from reminders.api import ReminderViewSet
from reports.api import IncidentReportViewSet
from webhooks.api import WebhookViewSet

app_name = "api"
DOCS_METHODS = ["get", "head"]

router = DefaultRouter()
router.include_format_suffixes = False
router.register("contacts", ContactViewSet, basename="contact")
router.register("groups", ContactGroupViewSet, basename="group")
router.register("incidents", IncidentViewSet, basename="incident")
# An incident's call-out: /incidents/{id}/callout/, .../recipients/ (its own app's viewset).
router.register("incidents", IncidentCalloutViewSet, basename="incident-callout")
# Its escalation: POST /incidents/{id}/escalate/ ("escalate now").
router.register("incidents", IncidentEscalationViewSet, basename="incident-escalation")
router.register("incidents", IncidentReportViewSet, basename="incident-report")
router.register("calls", CallViewSet, basename="call")
router.register("prompts", AudioPromptViewSet, basename="prompt")
router.register("integrations", IntegrationViewSet, basename="integration")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("escalation-policies", EscalationPolicyViewSet, basename="escalation-policy")
router.register("reminders", ReminderViewSet, basename="reminder")


@extend_schema(exclude=True)
@api_view(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
def no_such_endpoint(request: Request, path: str) -> Response:
    """Anything else under /api/ is a 404 in the API's error shape, not Django's HTML page."""
    raise NotFound("No such endpoint.")


urlpatterns: list[URLPattern | URLResolver] = [
    # Before the router's, whose integrations/{pk}/ would otherwise be tried for it.
    path(
        "integrations/<str:token>/alerts/",
        AlertIntakeView.as_view(),
        name="integration-alerts",
    ),
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # HTML pages: OPTIONS, which DRF would describe through their template renderer, is a 500.
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", http_method_names=DOCS_METHODS),
        name="docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", http_method_names=DOCS_METHODS),
        name="redoc",
    ),
    re_path(r"^(?P<path>[\s\S]*)$", no_such_endpoint),
]

for pattern in urlpatterns:
    if isinstance(pattern, URLPattern):
        login_not_required(pattern.callback)
