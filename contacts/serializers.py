"""API shapes for contacts and groups (the models' validators check E.164 and ACS ids)."""

from rest_framework import serializers

from contacts.models import Contact, ContactGroup
from contacts.phone import validate_acs_user_id, validate_phone_number


class ContactSerializer(serializers.ModelSerializer[Contact]):
    """A contact in and out; `groups` is read-only here (change membership on the group)."""

    groups: serializers.PrimaryKeyRelatedField[ContactGroup] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "phone_number",
            "acs_user_id",
            "is_active",
            "groups",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "groups", "created_at", "updated_at"]
        # Uniqueness and "a way to be reached" are the model's constraints, checked once (with
        # the model's messages) by full_clean in contacts.services; only formats are checked here.
        validators: list[object] = []
        extra_kwargs = {
            "phone_number": {"validators": [validate_phone_number]},
            "acs_user_id": {"validators": [validate_acs_user_id]},
        }


class ContactGroupSerializer(serializers.ModelSerializer[ContactGroup]):
    members = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Contact.objects.all(), required=False
    )

    class Meta:
        model = ContactGroup
        fields = ["id", "name", "description", "members"]
        read_only_fields = ["id"]
