"""Strict readers for environment variables.

Settings read every value through these helpers so that a typo fails at start-up with a clear
message instead of silently falling back to a default ("yes" is not a boolean here).
"""

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TRUE = {"1", "true", "on"}
_FALSE = {"0", "false", "off"}


def load_env_file(path: Path) -> None:
    """Use each `NAME=value` line of `path` (if it exists) where the environment has no value.

    Blank lines and `#` comments are skipped; values are taken as written (no quotes, no
    `export`). Any other line raises ImproperlyConfigured naming the file and line.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not _NAME.fullmatch(name.strip()):
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value; got {line!r}.")
        os.environ.setdefault(name.strip(), value.strip())


def env_str(name: str, default: str = "") -> str:
    """Return the variable's value, or `default` when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool = False) -> bool:
    """Return a boolean spelled 1/0, true/false or on/off; raise ImproperlyConfigured otherwise."""
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, on/off; got {raw!r}.")


def env_choice(name: str, choices: tuple[str, ...]) -> str:
    """Return one of `choices`, or "" when unset; raise ImproperlyConfigured otherwise."""
    raw = env_str(name)
    if raw and raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {raw!r}.")
    return raw


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """Return a whole number of at least `minimum`; raise ImproperlyConfigured otherwise."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    """Return a number of at least `minimum`; raise ImproperlyConfigured otherwise."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {raw!r}.") from None
    if not value >= minimum:  # also rejects NaN
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {raw}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated list with blanks dropped."""
    raw = env_str(name)
    if not raw:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, *, schemes: tuple[str, ...], default: str = "") -> str:
    """Return a URL whose scheme is one of `schemes` and that names a host or a path."""
    raw = env_str(name, default)
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not (parts.netloc or parts.path.strip("/")):
        allowed = ", ".join(f"{scheme}://" for scheme in schemes)
        raise ImproperlyConfigured(f"{name} must be a URL starting with {allowed}; got {raw!r}.")
    return raw


_RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def env_rate(name: str, default: str) -> str:
    """Return a request rate such as "30/min" (count/second, minute, hour or day).

    The spelling is DRF's throttle rate; checking it here turns a typo into a start-up error
    instead of a KeyError on the first throttled request.
    """
    raw = env_str(name, default)
    count, _, period = raw.partition("/")
    if not (count.isdigit() and int(count) > 0 and period in _RATE_PERIODS):
        raise ImproperlyConfigured(
            f"{name} must look like 30/min (a count per s, min, hour or day); got {raw!r}."
        )
    return raw


def env_networks(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list of networks in CIDR notation ("10.0.0.0/8, ::1/128"), or
    none for "none"; raise ImproperlyConfigured for anything else (a host address with a
    prefix that leaves host bits set, "10.0.0.1/8", too: it is probably a typo)."""
    raw = env_list(name, default)
    if raw == ["none"]:
        return []
    for item in raw:
        try:
            ipaddress.ip_network(item)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list networks such as 10.0.0.0/8 or ::1/128 (or be none); "
                f"got {item!r}."
            ) from None
    return raw
