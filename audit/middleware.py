"""Hands each request's origin (dashboard, API, admin; the client's address) to the audit log."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.origin import serving


class RequestOriginMiddleware:
    """After AuthenticationMiddleware: entries written while serving a request say where it
    came from (audit.origin)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with serving(request):
            return self.get_response(request)
