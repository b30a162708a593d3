"""The webhooks API (admins): subscriptions, the secret once when made, and their deliveries."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.permissions import RolePermissions
from config.api_errors import ErrorOutput
from config.api_pagination import PageNumber
from webhooks.models import Subscription
from webhooks.serializers import (
    CreatedSubscriptionOutput,
    DeliveryFilter,
    DeliveryOutput,
    SubscriptionInput,
    SubscriptionOutput,
)
from webhooks.services.subscribing import (
    create_subscription,
    delete_subscription,
    update_subscription,
)

REFUSED = OpenApiResponse(
    ErrorOutput,
    description="`invalid_webhook_url` (not HTTPS, say) or `invalid_webhook_events` (none, "
    "or unknown), with a message saying why; or `invalid` for a malformed body.",
)
DELIVERY_PERMISSIONS = ("webhooks.view_subscription", "webhooks.view_delivery")


class WebhookPermissions(RolePermissions):
    """The subscriptions' model permissions (admins hold them); a subscription's deliveries
    need the deliveries' view permission too."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(view, "action", None) == "deliveries":
            user: User | AnonymousUser = request.user
            return bool(user.is_authenticated and user.has_perms(DELIVERY_PERMISSIONS))
        return super().has_permission(request, view)


class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Subscription],
):
    """URLs told of incident and call-out events, each delivery signed (Standard Webhooks)."""

    queryset = Subscription.objects.all()
    permission_classes = [WebhookPermissions]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action in ("create", "update", "partial_update"):
            return SubscriptionInput
        return SubscriptionOutput

    @extend_schema(
        request=SubscriptionInput, responses={201: CreatedSubscriptionOutput, 400: REFUSED}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Subscribe a URL; the answer carries its signing secret, the only time it is shown."""
        given = SubscriptionInput(data=request.data)
        given.is_valid(raise_exception=True)
        made = create_subscription(**given.validated_data)
        return Response(
            CreatedSubscriptionOutput(made.subscription).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=SubscriptionInput, responses={200: SubscriptionOutput, 400: REFUSED})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the URL, the events or whether it is active (the secret stays)."""
        return self._update(request, partial=False)

    @extend_schema(request=SubscriptionInput, responses={200: SubscriptionOutput, 400: REFUSED})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some of the URL, the events, whether it is active (the secret stays)."""
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        subscription = self.get_object()
        given = SubscriptionInput(data=request.data, partial=partial)
        given.is_valid(raise_exception=True)
        changed = update_subscription(subscription=subscription, **given.validated_data)
        return Response(SubscriptionOutput(changed).data)

    def perform_destroy(self, instance: Subscription) -> None:
        delete_subscription(subscription=instance)

    @extend_schema(parameters=[DeliveryFilter], responses={200: DeliveryOutput(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        """The subscription's deliveries, newest first, a page at a time, with their attempts."""
        subscription = self.get_object()
        filters = DeliveryFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = subscription.deliveries.filter(**filters.validated_data)
        rows = rows.order_by("-id").prefetch_related("attempts")
        paginator = PageNumber()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(DeliveryOutput(page, many=True).data)
