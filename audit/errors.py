"""What the audit log refuses."""

from http import HTTPStatus

from config.errors import DomainError


class AppendOnly(DomainError):
    """An audit entry was to be changed or deleted: the log only ever grows."""

    code = "audit_append_only"
    status_code = HTTPStatus.METHOD_NOT_ALLOWED
