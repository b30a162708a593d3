"""Serve the ACS emulator beside Django in one ASGI process (the embedded default)."""

import logging
from typing import Any

from django.conf import settings

from acs_emulator.app import EmulatorConfig, build_app
from calls.provider import emulator_access_key

ASGIApp = Any
logger = logging.getLogger(__name__)


def with_embedded_emulator(django_app: ASGIApp) -> ASGIApp:
    """Route /acs-emulator/... to the emulator and everything else to `django_app`."""
    prefix = settings.ACS_EMULATOR_PATH
    if not settings.DEBUG:
        # Served on purpose (ACS_EMULATOR=embedded) on a server others may reach: say so where
        # operators look.
        logger.warning(
            "The ACS emulator is served at %s/ with its unauthenticated control API "
            "(ACS_EMULATOR=embedded). Set ACS_CONNECTION_STRING for a real resource; "
            "`manage.py check --deploy` says more.",
            prefix,
        )
    emulator = build_app(
        EmulatorConfig(
            access_key=emulator_access_key(), time_scale=settings.ACS_EMULATOR_TIME_SCALE
        )
    )

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if path == prefix or path.startswith(prefix + "/"):
            await emulator(
                {**scope, "root_path": scope.get("root_path", "") + prefix}, receive, send
            )
        else:
            await django_app(scope, receive, send)

    return app
