"""The lock files pin what pyproject.toml asks for, so an edit there cannot ship unlocked."""

import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RELOCK = "pyproject.toml changed without `make lock`"


def _pins(lock: str) -> dict[str, str]:
    """Package → pinned version for this interpreter (markers evaluated, as an installer does)."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements" / lock).read_text().splitlines():
        if not line or line.startswith((" ", "#")):
            continue
        pin, _, marker = line.partition(";")
        name, equals, version = pin.strip().partition("==")
        assert equals, f"{lock}: not an exact pin: {line!r}"
        if not marker or Marker(marker.strip()).evaluate():
            pins[canonicalize_name(name)] = version
    return pins


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("app.txt", PROJECT["dependencies"]),
        ("dev.txt", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]),
    ],
)
def test_every_dependency_is_pinned_at_a_version_pyproject_allows(
    lock: str, requirements: list[str]
) -> None:
    pins = _pins(lock)
    for line in requirements:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements/{lock}: {RELOCK}"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]}: {RELOCK}"


def test_the_app_lock_is_the_dev_lock_without_the_tools() -> None:
    app, dev = _pins("app.txt"), _pins("dev.txt")
    assert {name: dev.get(name) for name in app} == app
    tools = {
        canonicalize_name(Requirement(line).name)
        for line in PROJECT["optional-dependencies"]["dev"]
    }
    assert not tools & app.keys(), "`make run` installs no test or lint tools"
