"""People the app can phone, and the groups they are called in."""

import contextlib
from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from contacts.phone import normalize_phone_number, validate_acs_user_id, validate_phone_number


class ContactQuerySet(models.QuerySet["Contact"]):
    def active(self) -> "ContactQuerySet":
        return self.filter(is_active=True)


class Contact(models.Model):
    name = models.CharField(max_length=200)
    phone_number = models.CharField(
        max_length=16,
        blank=True,
        validators=[validate_phone_number],
        help_text="E.164, e.g. +14255550123.",
    )
    acs_user_id = models.CharField(
        "ACS user id",
        max_length=200,
        blank=True,
        validators=[validate_acs_user_id],
        help_text="A Communication Services user, e.g. 8:acs:<resource>_<guid>.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive contacts are never called.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(phone_number="") | ~Q(acs_user_id=""),
                name="contact_has_a_way_to_be_reached",
                violation_error_message="Give a phone number or an ACS user id (or both).",
            ),
            models.UniqueConstraint(
                fields=["phone_number"],
                condition=~Q(phone_number=""),
                name="unique_contact_phone_number",
                violation_error_message="Another contact already has this phone number.",
            ),
            models.UniqueConstraint(
                fields=["acs_user_id"],
                condition=~Q(acs_user_id=""),
                name="unique_contact_acs_user_id",
                violation_error_message="Another contact already has this ACS user id.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        # Accept friendly spellings ("+1 (425) 555-0123") in forms and store E.164. Field
        # validators run first, so normalise before them; they report what cannot be parsed.
        if self.phone_number:
            with contextlib.suppress(ValidationError):
                self.phone_number = normalize_phone_number(self.phone_number)
        super().clean_fields(exclude)

    @property
    def call_target(self) -> str:
        """The identifier the provider dials: the phone number first, else the ACS user."""
        return self.phone_number or self.acs_user_id


class ContactGroup(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(Contact, related_name="groups", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
