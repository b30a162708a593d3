"""The settings module as a deployment sees it: loaded in a fresh process from the environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The production configuration README's "Production and scale-out" lists, with plausible
# values (tests/config/test_deploy_check.py holds the two to each other).
PRODUCTION_LIKE = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "incidents.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://incidents.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "postgres://app:secret@127.0.0.1:5432/incidents",
    "ACS_CONNECTION_STRING": "endpoint=https://incidents.communication.azure.com/;accesskey=cHc=",
    # GA (the default) signs callbacks for the resource's immutable id.
    "ACS_RESOURCE_ID": "6c2a3a4e-0b8f-4a4e-9d57-2f1c0e7b9a11",
    "BEHIND_TLS_PROXY": "true",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "VIRTUAL_ENV"}}
    # The checkout's own .env.local (make writes it) must not leak into these settings.
    clean["LOCAL_ENV_FILE"] = os.devnull
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_with_debug_off_the_emulator_is_not_served_and_without_a_resource_nothing_starts() -> None:
    env = {k: v for k, v in PRODUCTION_LIKE.items() if k != "ACS_CONNECTION_STRING"}
    result = run_manage("check", env=env)  # not only --deploy: any command that checks
    assert result.returncode != 0
    assert "config.E004" in result.stderr
    assert "ACS_CONNECTION_STRING" in result.stderr
    mounted = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; from config import asgi;"
        " print(settings.ACS_EMULATOR_ENABLED, asgi.served_app is asgi.django_asgi_app)",
        env=env,
    )
    assert mounted.stdout.split() == ["False", "True"], mounted.stderr


def test_deploy_check_refuses_the_emulator_served_because_debug_is_on() -> None:
    env = {k: v for k, v in PRODUCTION_LIKE.items() if k != "ACS_CONNECTION_STRING"}
    result = run_manage("check", "--deploy", env=env | {"DEBUG": "true"})
    assert result.returncode != 0
    assert "config.E001" in result.stderr


def test_an_explicitly_embedded_emulator_passes_the_deploy_check_loudly() -> None:
    env = {k: v for k, v in PRODUCTION_LIKE.items() if k != "ACS_CONNECTION_STRING"}
    env["ACS_EMULATOR"] = "embedded"
    passes = run_manage("check", "--deploy", env=env)
    assert passes.returncode == 0, passes.stderr
    assert "config.W001" in passes.stderr
    strict = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert strict.returncode != 0


def test_an_embedded_emulator_says_so_at_start_up_when_debug_is_off() -> None:
    env = {k: v for k, v in PRODUCTION_LIKE.items() if k != "ACS_CONNECTION_STRING"}
    served = run_manage(
        "shell", "--no-imports", "-c", "import config.asgi", env={**env, "ACS_EMULATOR": "embedded"}
    )
    assert served.returncode == 0, served.stderr
    line = json.loads(served.stderr.strip().splitlines()[-1])  # JSON logs unless DEBUG
    assert (line["level"], line["logger"]) == ("warning", "config.emulator_mount")
    assert "unauthenticated" in served.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ACS_EMULATOR": "on"}, "ACS_EMULATOR must be one of embedded"),
        (PRODUCTION_LIKE | {"ACS_EMULATOR": "embedded"}, "ACS_EMULATOR=embedded contradicts"),
    ],
)
def test_acs_emulator_takes_only_embedded_and_never_beside_a_real_resource(
    env: dict[str, str], message: str
) -> None:
    result = run_manage("check", env={"SECRET_KEY": "x" * 50, **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_secret_key_is_required_when_debug_is_off() -> None:
    result = run_manage("check", env={})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "yes", "DEBUG must be one of"),
        ("DATABASE_URL", "mysql://db/app", "DATABASE_URL must be a URL"),
        ("CHANNEL_CAPACITY", "lots", "CHANNEL_CAPACITY must be a whole number"),
        ("CSRF_TRUSTED_ORIGINS", "incidents.example.com", "must start with http"),
    ],
)
def test_garbage_values_fail_at_start_up_with_a_clear_message(
    name: str, value: str, message: str
) -> None:
    result = run_manage("check", env={"SECRET_KEY": "x" * 50, name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_embedded_defaults_need_no_environment() -> None:
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.CACHES['default']['BACKEND'], s.DEBUG)",
        env={"DEBUG": "true"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
    ]


def test_database_and_redis_urls_switch_to_scale_out() -> None:
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['CONN_MAX_AGE'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['max_connections'],"
        " s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'])",
        env=PRODUCTION_LIKE,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "0",
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        "5000",
        # Rate limits are counted once for every process.
        "django.core.cache.backends.redis.RedisCache",
        PRODUCTION_LIKE["REDIS_URL"],
    ]
