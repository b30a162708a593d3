"""ACS_API_VERSION chooses the dialect; an unknown one is refused at start-up (config.E002)."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from acs_emulator import EMULATOR_RESOURCE_ID
from calls.client import CallAutomationClient
from calls.client_ga import GaCallAutomationClient
from calls.dialects import GA_VERSIONS, NEWEST_GA_VERSION, PREVIEW_VERSION
from calls.provider import build_client, callback_issuer
from config.checks import check_provider_api_version


def test_the_default_is_the_newest_ga_version() -> None:
    code = "from django.conf import settings; print(settings.ACS_API_VERSION)"
    env = {k: v for k, v in os.environ.items() if k != "ACS_API_VERSION"}
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert shown.stdout.strip().splitlines()[-1] == NEWEST_GA_VERSION


def test_the_preview_builds_the_preview_client(settings: Any) -> None:
    settings.ACS_API_VERSION = PREVIEW_VERSION
    client = build_client()
    assert isinstance(client, CallAutomationClient)
    client.close()


@pytest.mark.parametrize("version", GA_VERSIONS)
def test_a_ga_version_builds_the_ga_client_speaking_it(settings: Any, version: str) -> None:
    settings.ACS_API_VERSION = version
    client = build_client()
    assert isinstance(client, GaCallAutomationClient)
    assert client._http.api_version == version
    client.close()
    assert check_provider_api_version() == []


@pytest.mark.parametrize("version", ["2099-01-01", "2022-04-07-preview", "latest", "2024-09-15 "])
def test_an_unknown_version_is_refused_by_the_check_and_the_builder(
    settings: Any, version: str
) -> None:
    settings.ACS_API_VERSION = version
    (error,) = check_provider_api_version()
    assert error.id == "config.E002"
    assert "2026-03-12" in error.msg
    with pytest.raises(ValueError, match="not one the app speaks"):
        build_client()


def test_ga_on_a_real_resource_needs_its_resource_id(settings: Any) -> None:
    settings.ACS_API_VERSION = "2026-03-12"
    settings.ACS_RESOURCE_ID = ""
    (error,) = check_provider_api_version()
    assert error.id == "config.E003"


def test_the_issuer_follows_the_endpoint_unless_set(settings: Any) -> None:
    settings.ACS_CONNECTION_STRING = (
        "endpoint=https://contoso.communication.azure.com/;accesskey=cHc="
    )
    settings.ACS_CALLBACK_ISSUER = ""
    assert callback_issuer() == "https://acscallautomation.communication.azure.com"
    settings.ACS_CONNECTION_STRING = "endpoint=http://127.0.0.1:9000/;accesskey=cHc="
    assert callback_issuer() == "http://127.0.0.1:9000"
    settings.ACS_CALLBACK_ISSUER = "https://issuer.example"
    assert callback_issuer() == "https://issuer.example"


def test_the_embedded_emulator_has_a_resource_id_by_default(settings: Any) -> None:
    assert settings.ACS_RESOURCE_ID == EMULATOR_RESOURCE_ID  # the emulator's audience


def test_the_app_and_the_emulator_speak_the_versions_the_sdk_knows() -> None:
    """The list is a fact about ACS, kept twice on purpose (the emulator imports nothing of the
    app, and the app nothing of the emulator): this test holds both to Microsoft's SDK."""
    from azure.communication.callautomation._api_versions import DEFAULT_VERSION, ApiVersion

    from acs_emulator.config import GA_API_VERSIONS

    sdk_versions = tuple(v.value for v in ApiVersion)
    assert sdk_versions == GA_VERSIONS
    assert sdk_versions == GA_API_VERSIONS
    assert NEWEST_GA_VERSION == DEFAULT_VERSION
