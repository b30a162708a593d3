"""A developer's checkout: `make` writes .env.local once, and manage.py and daphne read it.

These run manage.py in fresh processes with a cleaned environment (no DEBUG, no SECRET_KEY), as a
newcomer's plain shell is.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.config.test_settings import ROOT, run_manage

PRINT_SETTINGS = (
    "from django.conf import settings as s;"
    " print(s.DEBUG, s.SECRET_KEY, s.LOGGING['root']['level'])"
)


def _fresh_clone(into: Path) -> Path:
    """The project's files as `git clone` gives them: no venv, database or local settings."""
    clone = into / "clone"
    shutil.copytree(
        ROOT,
        clone,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "__pycache__",
            "db.sqlite3*",
            "media",
            "staticfiles",
            ".env.local",
            "artifacts",
            ".mypy_cache",
            ".ruff_cache",
            ".hypothesis",
        ),
    )
    return clone


def _plain_shell(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_runs_as_printed_once_make_has_written_the_local_settings(
    tmp_path: Path,
) -> None:
    clone = _fresh_clone(tmp_path)
    before = _plain_shell(sys.executable, "manage.py", "check", cwd=clone)
    assert before.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in before.stderr

    made = _plain_shell("make", ".env.local", f"PYTHON={sys.executable}", cwd=clone)
    assert made.returncode == 0, made.stderr
    after = _plain_shell(sys.executable, "manage.py", "check", cwd=clone)
    assert after.returncode == 0, after.stderr
    shown = _plain_shell(
        sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT_SETTINGS, cwd=clone
    )
    debug, secret_key, _ = shown.stdout.split()
    assert debug == "True"
    # The prefix makes `check --deploy` refuse it (security.W009) should it ever ship.
    assert secret_key.startswith("django-insecure-")
    assert len(secret_key) >= 50


def test_make_writes_the_local_settings_once(tmp_path: Path) -> None:
    clone = _fresh_clone(tmp_path)
    make = ("make", ".env.local", f"PYTHON={sys.executable}")
    assert _plain_shell(*make, cwd=clone).returncode == 0
    first = (clone / ".env.local").read_text()
    assert _plain_shell(*make, cwd=clone).returncode == 0
    assert (clone / ".env.local").read_text() == first
    other = _fresh_clone(tmp_path / "other")
    _plain_shell(*make, cwd=other)
    assert (other / ".env.local").read_text() != first, "every checkout gets its own key"


def test_the_environment_wins_over_the_local_settings(tmp_path: Path) -> None:
    local = tmp_path / "local.env"
    local.write_text(
        "# comment\n\nDEBUG=true\nSECRET_KEY=django-insecure-from-the-file\nLOG_LEVEL=WARNING\n"
    )
    shown = run_manage(
        "shell",
        "--no-imports",
        "-c",
        PRINT_SETTINGS,
        env={"LOCAL_ENV_FILE": str(local), "DEBUG": "false", "SECRET_KEY": "s" * 50},
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["False", "s" * 50, "WARNING"]


def test_a_malformed_local_settings_line_stops_start_up_naming_the_line(tmp_path: Path) -> None:
    local = tmp_path / "local.env"
    local.write_text("DEBUG=true\nexport SECRET_KEY\n")
    result = run_manage("check", env={"LOCAL_ENV_FILE": str(local)})
    assert result.returncode != 0
    assert f"{local}, line 2" in result.stderr
