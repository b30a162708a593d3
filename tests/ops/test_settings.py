"""The operability settings: strict like every other (config/env.py), and the log format."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_networks
from tests.config.test_settings import PRODUCTION_LIKE, run_manage

LOG_A_LINE = "import logging; logging.getLogger('probe').warning('hello', extra={'n': 1})"


def test_networks_are_read_as_cidr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETS", " 10.0.0.0/8, ::1/128 ,192.0.2.7")
    assert env_networks("NETS", default=[]) == ["10.0.0.0/8", "::1/128", "192.0.2.7"]
    monkeypatch.setenv("NETS", "none")
    assert env_networks("NETS", default=["127.0.0.1/32"]) == []
    monkeypatch.delenv("NETS")
    assert env_networks("NETS", default=["127.0.0.1/32"]) == ["127.0.0.1/32"]


@pytest.mark.parametrize("garbage", ["10.0.0.1/8", "localhost", "10.0.0.0/33", "any"])
def test_networks_reject_garbage(monkeypatch: pytest.MonkeyPatch, garbage: str) -> None:
    monkeypatch.setenv("NETS", f"127.0.0.1/32,{garbage}")
    with pytest.raises(ImproperlyConfigured, match="NETS must list networks"):
        env_networks("NETS", default=[])


def test_logs_are_json_lines_by_default_in_production() -> None:
    done = run_manage("shell", "--no-imports", "-c", LOG_A_LINE, env=PRODUCTION_LIKE)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert {k: line[k] for k in ("event", "level", "logger", "n")} == {
        "event": "hello",
        "level": "warning",
        "logger": "probe",
        "n": 1,
    }


def test_console_logs_are_readable_lines() -> None:
    env = {**PRODUCTION_LIKE, "LOG_FORMAT": "console"}
    done = run_manage("shell", "--no-imports", "-c", LOG_A_LINE, env=env)
    last = done.stderr.strip().splitlines()[-1]
    assert "[warning  ] hello" in last and "[probe]" in last and "n=1" in last


def test_an_unknown_log_format_stops_start_up() -> None:
    env = {**PRODUCTION_LIKE, "LOG_FORMAT": "xml"}
    done = run_manage("check", env=env)
    assert done.returncode != 0
    assert "LOG_FORMAT must be one of json, console; got 'xml'." in done.stderr
