"""The root of every domain error; interfaces map it to their error shape in one place."""


class DomainError(Exception):
    """A rule of the domain refused the request. `code` is stable; `message` is for people."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
