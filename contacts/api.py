"""The contacts API: everyone reads contacts and groups; admins change them."""

from typing import Any, cast

from rest_framework import mixins, viewsets
from rest_framework.serializers import BaseSerializer

from accounts.permissions import RolePermissions
from contacts import services
from contacts.models import Contact, ContactGroup
from contacts.serializers import ContactGroupSerializer, ContactSerializer


class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Contact],
):
    queryset = Contact.objects.prefetch_related("groups")
    serializer_class = ContactSerializer
    permission_classes = [RolePermissions]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.create_contact(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.update_contact(
            contact=cast(Contact, serializer.instance), **serializer.validated_data
        )

    def perform_destroy(self, instance: Contact) -> None:
        services.delete_contact(contact=instance)


class ContactGroupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ContactGroup],
):
    queryset = ContactGroup.objects.prefetch_related("members")
    serializer_class = ContactGroupSerializer
    permission_classes = [RolePermissions]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.create_group(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.update_group(
            group=cast(ContactGroup, serializer.instance), **serializer.validated_data
        )

    def perform_destroy(self, instance: ContactGroup) -> None:
        services.delete_group(group=instance)
