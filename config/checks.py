"""Checks for how the process is put together: the provider's API version, callback audience
and that there is a provider at all (always), the emulator mount and the allowed hosts
(deploy-time)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from calls.dialects import is_ga


@register()
def check_provider_api_version(**kwargs: Any) -> list[CheckMessage]:
    try:
        ga = is_ga(settings.ACS_API_VERSION)
    except ValueError as exc:
        return [
            Error(
                str(exc),
                hint="Unset ACS_API_VERSION for the 2021 preview, or set a GA version.",
                id="config.E002",
            )
        ]
    if ga and not settings.ACS_RESOURCE_ID:
        return [
            Error(
                "ACS_API_VERSION is a GA version, whose callbacks are signed for the "
                "resource's immutable id, and ACS_RESOURCE_ID is empty: every callback "
                "would be refused.",
                hint="Set ACS_RESOURCE_ID to the resource's immutableResourceId (a GUID).",
                id="config.E003",
            )
        ]
    return []


@register()
def check_there_is_a_provider(**kwargs: Any) -> list[CheckMessage]:
    if settings.ACS_CONNECTION_STRING or settings.ACS_EMULATOR_ENABLED:
        return []
    return [
        Error(
            "DEBUG is off and ACS_CONNECTION_STRING is empty: there is no provider to place "
            "calls through. The embedded ACS emulator is a development tool, served only with "
            "DEBUG or ACS_EMULATOR=embedded.",
            hint="Set ACS_CONNECTION_STRING to the real resource, or ACS_EMULATOR=embedded to "
            "serve the emulator on purpose (a demo or staging server).",
            id="config.E004",
        )
    ]


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
            f"DEBUG is on and there is no ACS_CONNECTION_STRING: the ACS emulator is served at "
            f"{where}, and its unauthenticated control API lets anyone press keys (fake "
            "acknowledgements), inject faults and reset it.",
            hint="Set DEBUG=false and ACS_CONNECTION_STRING to the real resource, or "
            "ACS_EMULATOR=embedded to serve the emulator on purpose (a demo or staging server).",
            id="config.E001",
        )
    ]


@register(Tags.security, deploy=True)
def check_allowed_hosts_are_named(**kwargs: Any) -> list[CheckMessage]:
    # Django's own deploy checks accept "*": then any Host header is believed (absolute links
    # and redirects built from it), and the WebSocket origin check, which reads ALLOWED_HOSTS,
    # lets any site's page open a socket with its visitors' session cookies.
    if "*" not in settings.ALLOWED_HOSTS:
        return []
    return [
        Warning(
            "ALLOWED_HOSTS contains '*': requests for any host name are served, and WebSocket "
            "connections are accepted from pages of any origin.",
            hint="Set ALLOWED_HOSTS to the names the site is served under.",
            id="config.W002",
        )
    ]
