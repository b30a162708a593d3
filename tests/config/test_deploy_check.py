"""`manage.py check --deploy --fail-level WARNING`: clean in the production configuration the
README documents, and failing in each unsafe one a deployment could plausibly ship."""

import re
import secrets

import pytest

from tests.config.test_settings import PRODUCTION_LIKE, ROOT, run_manage

SECTION = "## Production and scale-out"


def documented_production() -> dict[str, str | None]:
    """The variables the README's production list (its section's "Set ..." item, up to the
    deploy check) names, with the value it gives (`BEHIND_TLS_PROXY=true`) or None."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    item = next(i for i in section.split("\n- ") if i.lstrip("- ").startswith("Set "))
    item = item.split("`manage.py check", 1)[0]  # what follows names the unsafe settings
    return {
        name: value or None for name, value in re.findall(r"`([A-Z][A-Z0-9_]+)(?:=([^`]+))?`", item)
    }


def deploy_check(env: dict[str, str]) -> tuple[int, str]:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    return result.returncode, result.stdout + result.stderr


def test_the_tests_production_configuration_is_the_one_the_readme_documents() -> None:
    documented = documented_production()
    assert set(documented) == set(PRODUCTION_LIKE)
    for name, value in documented.items():
        if value is not None:
            assert PRODUCTION_LIKE[name] == value, name


def test_deploy_check_is_clean_in_the_documented_production_configuration() -> None:
    code, output = deploy_check(PRODUCTION_LIKE)
    assert code == 0, output
    assert "no issues" in output


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        ({"DEBUG": "true"}, "security.W018"),
        ({"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)}, "security.W009"),
        ({"SECRET_KEY": "changeme"}, "security.W009"),
        # Behind a TLS proxy that is not told to trust (BEHIND_TLS_PROXY), redirecting to
        # HTTPS loops, and turning the redirect off is the tempting "fix".
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"ALLOWED_HOSTS": "*"}, "config.W002"),
        ({"ACS_CONNECTION_STRING": None, "ACS_EMULATOR": "embedded"}, "config.W001"),
        # Several processes on the in-memory layer never see each other's broadcasts.
        ({"REDIS_URL": None}, "incidents.W001"),
    ],
    ids=lambda value: "+".join(value) if isinstance(value, dict) else value,
)
def test_deploy_check_fails_in_an_unsafe_configuration(
    change: dict[str, str | None], reported: str
) -> None:
    env = {**PRODUCTION_LIKE, **change}
    code, output = deploy_check({k: v for k, v in env.items() if v is not None})
    assert code != 0
    assert reported in output
