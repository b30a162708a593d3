"""What the reminder services refuse, each with the HTTP status every interface answers."""

from http import HTTPStatus

from config.errors import DomainError


class InvalidReminder(DomainError):
    """A reminder that cannot work: no time, a bad zone or quiet hours, a lead without
    appointments, a repeat without a start."""

    code = "invalid_reminder"
    status_code = HTTPStatus.BAD_REQUEST


class ReminderStarted(DomainError):
    """Only a reminder that has not started (or a drill between its runs) can be cancelled."""

    code = "reminder_started"
    status_code = HTTPStatus.CONFLICT
