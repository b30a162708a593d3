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
    ("callouts", "change_callout"),
    ("escalations", "change_escalation"),  # "escalate now"
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
    # The call-out configuration (the caller-number pool, policy presets) and its record.
    ("callouts", "add_callernumber"),
    ("callouts", "change_callernumber"),
    ("callouts", "delete_callernumber"),
    ("callouts", "add_calloutpolicy"),
    ("callouts", "change_calloutpolicy"),
    ("callouts", "delete_calloutpolicy"),
    ("callouts", "view_callout"),
    ("callouts", "view_recipient"),
    ("callouts", "view_attempt"),
    # Alert integrations (their tokens are credentials) and the alerts they received.
    ("integrations", "add_integration"),
    ("integrations", "change_integration"),
    ("integrations", "delete_integration"),
    ("integrations", "view_integration"),
    ("integrations", "view_alert"),
    # Outgoing webhooks: the subscriptions, and their deliveries (read; "send again").
    ("webhooks", "add_subscription"),
    ("webhooks", "change_subscription"),
    ("webhooks", "delete_subscription"),
    ("webhooks", "view_subscription"),
    ("webhooks", "view_delivery"),
    ("webhooks", "change_delivery"),
    ("webhooks", "view_deliveryattempt"),
    # The audit log, read-only (it has no other permission to grant).
    ("audit", "view_auditentry"),
    # Escalation policies and their steps, and the record of each incident's escalation.
    ("escalations", "view_escalation"),
    ("escalations", "add_escalationpolicy"),
    ("escalations", "change_escalationpolicy"),
    ("escalations", "delete_escalationpolicy"),
    ("escalations", "view_escalationpolicy"),
    ("escalations", "add_escalationstep"),
    ("escalations", "change_escalationstep"),
    ("escalations", "delete_escalationstep"),
    ("escalations", "view_escalationstep"),
    # Reminders and drills: made and cancelled (never edited: a run copies them), and read.
    ("reminders", "add_reminder"),
    ("reminders", "change_reminder"),
    ("reminders", "view_reminder"),
    ("reminders", "view_reminderrecipient"),
    ("reminders", "view_reminderrun"),
    # The call rates reports estimate cost with.
    ("reports", "add_callrates"),
    ("reports", "change_callrates"),
    ("reports", "delete_callrates"),
    ("reports", "view_callrates"),
)

ROLE_PERMISSIONS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.VIEWER: VIEWER_PERMISSIONS,
    Role.OPERATOR: OPERATOR_PERMISSIONS,
    Role.ADMIN: ADMIN_PERMISSIONS,
}


class Action(StrEnum):
    """What a person does to incidents and calls, in the dashboard and the API alike."""

    VIEW = "view"
    DECLARE = "declare"
    RESOLVE = "resolve"
    CANCEL = "cancel"
    INVITE = "invite"
    REMOVE = "remove"
    PLAY = "play"
    STOP_AUDIO = "stop_audio"
    HANG_UP = "hang_up"
    RETRY = "retry"
    REDIAL = "redial"
    RING_AGAIN = "ring_again"  # a participant of a call, or a recipient of a call-out
    STOP_CALLOUT = "stop_callout"
    ESCALATE = "escalate"  # run an incident's next escalation step now


# The one map of action -> the Django permissions it needs ("app_label.codename"), read by the
# dashboard's views (accounts.permissions.requires) and the API's viewsets (RolePermissions).
# The role sets above grant them: viewers VIEW, operators and admins every action.
ACTION_PERMISSIONS: dict[Action, tuple[str, ...]] = {
    # The incident page shows the calls, their people and the timeline, as the API does.
    Action.VIEW: (
        "incidents.view_incident",
        "incidents.view_timelineentry",
        "calls.view_call",
        "calls.view_participant",
    ),
    Action.DECLARE: ("incidents.add_incident",),
    Action.RESOLVE: ("incidents.change_incident",),
    Action.CANCEL: ("incidents.change_incident",),
    Action.INVITE: ("calls.add_participant",),
    Action.REMOVE: ("calls.change_participant",),
    Action.PLAY: ("calls.change_call",),
    Action.STOP_AUDIO: ("calls.change_call",),
    Action.HANG_UP: ("calls.change_call",),
    Action.RETRY: ("calls.change_call",),
    Action.REDIAL: ("calls.change_call",),
    Action.RING_AGAIN: ("calls.add_participant",),
    Action.STOP_CALLOUT: ("callouts.change_callout",),
    Action.ESCALATE: ("escalations.change_escalation",),
}
