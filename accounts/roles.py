"""The three roles and what each may do.

Roles are Django auth groups so that the admin site can manage membership. The permission sets
are cumulative: an operator can do all a viewer can, an admin all an operator can.
"""

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewers"
    OPERATOR = "operators"
    ADMIN = "admins"


# (app_label, codename) pairs. Kept as data so the data migration and tests share one truth.
VIEWER_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("incidents", "view_incident"),
    ("incidents", "view_timelineentry"),
    ("calls", "view_call"),
    ("calls", "view_participant"),
    ("calls", "view_callevent"),
    ("contacts", "view_contact"),
    ("contacts", "view_contactgroup"),
    # Everyone sees which prompts exist: operators choose one when they declare or play.
    ("calls", "view_audioprompt"),
)
OPERATOR_PERMISSIONS: tuple[tuple[str, str], ...] = VIEWER_PERMISSIONS + (
    ("incidents", "add_incident"),
    ("incidents", "change_incident"),
    ("calls", "change_call"),
    ("calls", "add_participant"),
    ("calls", "change_participant"),
)
ADMIN_PERMISSIONS: tuple[tuple[str, str], ...] = OPERATOR_PERMISSIONS + (
    ("contacts", "add_contact"),
    ("contacts", "change_contact"),
    ("contacts", "delete_contact"),
    ("contacts", "add_contactgroup"),
    ("contacts", "change_contactgroup"),
    ("contacts", "delete_contactgroup"),
    ("calls", "add_audioprompt"),
    ("calls", "change_audioprompt"),
    ("calls", "delete_audioprompt"),
)

ROLE_PERMISSIONS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.VIEWER: VIEWER_PERMISSIONS,
    Role.OPERATOR: OPERATOR_PERMISSIONS,
    Role.ADMIN: ADMIN_PERMISSIONS,
}

# Permission an operator needs to act on incidents and calls (declare, invite, hang up...).
ACT_ON_INCIDENTS = "incidents.change_incident"
