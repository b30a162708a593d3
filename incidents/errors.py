from config.errors import DomainError


class InvalidTransition(DomainError):
    """The incident cannot move from its current status to the requested one."""

    code = "invalid_transition"
