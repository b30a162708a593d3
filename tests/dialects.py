"""Which dialect a test speaks: the one its `dialect` marker names, else the environment's
ACS_API_VERSION (CI runs the whole suite under each)."""

from django.conf import settings

from calls.dialects import NEWEST_GA_VERSION, PREVIEW_VERSION, is_ga

VERSIONS = {"preview": PREVIEW_VERSION, "ga": NEWEST_GA_VERSION}


def dialect_version(name: str) -> str:
    """The ACS_API_VERSION a `dialect(name)` marker stands for; raises ValueError."""
    try:
        return VERSIONS[name]
    except KeyError:
        raise ValueError(f"dialect must be one of {sorted(VERSIONS)}, not {name!r}.") from None


def ga_in_force() -> bool:
    """Whether the test runs on GA (else the 2021 preview)."""
    return is_ga(settings.ACS_API_VERSION)
