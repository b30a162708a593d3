"""Deploy-time checks for how the process is put together (the emulator mount)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_emulator_is_not_public_by_accident(**kwargs: Any) -> list[CheckMessage]:
    if not settings.ACS_EMULATOR_ENABLED:
        return []
    where = f"{settings.ACS_EMULATOR_PATH}/"
    if settings.ACS_EMULATOR_EMBEDDED_ON_PURPOSE:
        return [
            Warning(
                f"The ACS emulator is served at {where} on purpose (ACS_EMULATOR=embedded): its "
                "unauthenticated control API lets anyone press keys, inject faults and reset it.",
                hint="Keep this server off public addresses, or set ACS_CONNECTION_STRING.",
                id="config.W001",
            )
        ]
    return [
        Error(
            f"No ACS_CONNECTION_STRING: the ACS emulator is served at {where}, and its "
            "unauthenticated control API lets anyone press keys (fake acknowledgements), inject "
            "faults and reset it.",
            hint="Set ACS_CONNECTION_STRING to the real resource, or ACS_EMULATOR=embedded to "
            "serve the emulator on purpose (a demo or staging server).",
            id="config.E001",
        )
    ]
