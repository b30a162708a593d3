"""Which HTTP methods a URL's view answers, read from the view itself, and the middleware that
answers 405 for any other before authentication, CSRF or permissions are looked at.

One answer for every kind of view the URL configuration holds: DRF viewsets (their method ->
action map), DRF and Django class-based views (their handlers), and function views (the methods
`require_http_methods` and its shorthands were given). A function view that names no methods is
a page with a form: GET, HEAD and POST, which is what such a view's body distinguishes.
"""

import functools
import inspect
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.views import APIView

from config.errors import error_body

# Every method the app and its tests speak of; TRACE and CONNECT are not served by anything.
HTTP_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
FORM_METHODS = frozenset({"GET", "HEAD", "POST"})


def _class_methods(cls: type, names: list[str]) -> set[str]:
    # Django's View.setup() answers HEAD with get() when the class has no head() and its
    # http_method_names has "head" (DRF's @api_view lists only the methods it was given).
    methods = {name.upper() for name in names if hasattr(cls, name)}
    if "GET" in methods and "head" in names:
        methods.add("HEAD")
    return methods


def _declared_methods(view: Callable[..., Any]) -> frozenset[str] | None:
    """The list `require_http_methods` closed over, on the view or any view it wraps."""
    layer: Any = view
    while layer is not None:
        if inspect.isfunction(layer):
            declared = inspect.getclosurevars(layer).nonlocals.get("request_method_list")
            if declared is not None:
                return frozenset(method.upper() for method in declared)
        layer = getattr(layer, "__wrapped__", None)
    return None


@functools.cache
def allowed_methods(view: Callable[..., Any]) -> frozenset[str]:
    """The methods `view` (a URL pattern's callback) has a handler for."""
    cls: type | None = getattr(view, "cls", None) or getattr(view, "view_class", None)
    actions: dict[str, str] | None = getattr(view, "actions", None)
    if cls is not None and actions is not None:  # a DRF viewset bound to some of its actions
        # The viewset binds each method to its action when called (HEAD to GET's), and answers
        # OPTIONS itself (APIView.options).
        methods = {method.upper() for method in actions}
        methods |= {"HEAD"} if "GET" in methods else set()
        return frozenset(methods | _class_methods(cls, ["options"]))
    if cls is not None:
        # as_view(http_method_names=[...]) narrows them for one URL.
        initkwargs: dict[str, Any] = getattr(view, "view_initkwargs", {})
        names: list[str] = initkwargs.get("http_method_names") or cls.http_method_names  # type: ignore[attr-defined]
        return frozenset(_class_methods(cls, list(names)))
    declared = _declared_methods(view)
    return FORM_METHODS if declared is None else declared


class MethodNotAllowedMiddleware:
    """405 with `Allow` for a method the resolved view has no handler for, whoever asks.

    Without it, the login redirect (dashboard), the 401 (API, anonymous) or the permission
    check (DRF runs it before it looks for the handler: a viewer POSTing to a read-only
    endpoint got 403) answered first, telling the client to sign in or ask for a role when no
    role could make the request work. The API answers in its error shape.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        allowed = allowed_methods(view)
        method = (request.method or "").upper()
        if method in allowed:
            return None
        listed = [m for m in HTTP_METHODS if m in allowed]
        cls = getattr(view, "cls", None)
        if isinstance(cls, type) and issubclass(cls, APIView):
            refused = MethodNotAllowed(method)
            body = error_body(str(refused.default_code), str(refused.detail))
            return JsonResponse(
                body, status=refused.status_code, headers={"Allow": ", ".join(listed)}
            )
        return HttpResponseNotAllowed(listed)
