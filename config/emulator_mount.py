"""Serve the ACS emulator beside Django in one ASGI process (the embedded default)."""

from typing import Any

from django.conf import settings

from acs_emulator.app import EmulatorConfig, build_app
from calls.provider import emulator_access_key

ASGIApp = Any


def with_embedded_emulator(django_app: ASGIApp) -> ASGIApp:
    """Route /acs-emulator/... to the emulator and everything else to `django_app`."""
    prefix = settings.ACS_EMULATOR_PATH
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
