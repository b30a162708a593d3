from django.contrib import admin

from audit.admin_recording import AuditedModelAdmin
from contacts.models import Contact, ContactGroup


@admin.register(Contact)
class ContactAdmin(AuditedModelAdmin[Contact]):
    list_display = ["name", "phone_number", "acs_user_id", "is_active", "updated_at"]
    list_filter = ["is_active", "groups"]
    search_fields = ["name", "phone_number", "acs_user_id"]
    list_editable = ["is_active"]


@admin.register(ContactGroup)
class ContactGroupAdmin(AuditedModelAdmin[ContactGroup]):
    list_display = ["name", "member_count", "description"]
    search_fields = ["name", "description", "members__name"]
    filter_horizontal = ["members"]

    @admin.display(description="members")
    def member_count(self, group: ContactGroup) -> int:
        return group.members.count()
