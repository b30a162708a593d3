"""Where the action being done comes from: the request being served, or background work.

A request's origin is held in a context variable for the request's duration (set by
audit.middleware) rather than passed down as an argument: every operator service already
takes `actor`, and threading a second argument through the views, the API, the admin's
hooks and every service (and the services they call) would change dozens of signatures to
carry something only the audit log reads. A context variable is per request and per thread
or task (never shared between requests), and is read only where an entry is written.

The source is worked out when an entry is written, not when the request arrives: the API
authenticates (token or session) inside the view, after the middleware ran.
"""

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from audit.models import Source


@dataclass(frozen=True)
class Origin:
    source: Source
    address: str | None = None
    user: User | None = None  # who is signed in; None for background work
    via: str = ""  # what acted, when no person did (an integration's name)


_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_background: ContextVar[Origin | None] = ContextVar("audit_background", default=None)


@contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    """Within this block, actions come from `request` (audit.middleware)."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


@contextmanager
def acting_for(*, source: Source, via: str = "") -> Iterator[None]:
    """Within this block, background work acts for `source` (an integration, the system)."""
    token = _background.set(Origin(source=source, via=via[:200]))
    try:
        yield
    finally:
        _background.reset(token)


def current_origin() -> Origin | None:
    """Where actions come from now; None when nobody asked for them (background work with
    no acting_for, a provider's callback, an alert's intake: nobody signed in)."""
    background = _background.get()
    if background is not None:
        return background
    request = _request.get()
    if request is None:
        return None
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    return Origin(source=_source_of(request), address=_address_of(request), user=user)


def _source_of(request: HttpRequest) -> Source:
    match = request.resolver_match
    namespaces = match.namespaces if match is not None else []
    if "admin" in namespaces:
        return Source.ADMIN
    if "api" in namespaces:
        # DRF puts what authenticated the request on the Django request too.
        return Source.API_TOKEN if isinstance(getattr(request, "auth", None), Token) else Source.API
    return Source.DASHBOARD


def _address_of(request: HttpRequest) -> str | None:
    # The peer's address. Behind a proxy this is the proxy's (X-Forwarded-For is not trusted:
    # any client can send it). A server on a Unix socket may give none, or not an IP address:
    # the action must not fail for it.
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
