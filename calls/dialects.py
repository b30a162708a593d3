"""Which API versions the app speaks, and which dialect each one is.

Light on purpose (no HTTP library): the settings check (config.checks) reads it at start-up.
"""

PREVIEW_VERSION = "2021-04-15-preview1"  # /calling/calls, Event Grid callbacks
# The GA versions `azure-communication-callautomation` 1.6 speaks (colon verbs, CloudEvents
# callbacks signed with JWTs); the newest is the SDK's default.
GA_VERSIONS = (
    "2023-03-06",
    "2023-10-15",
    "2024-04-15",
    "2024-09-15",
    "2025-05-15",
    "2025-06-15",
    "2026-03-12",
)
NEWEST_GA_VERSION = GA_VERSIONS[-1]
KNOWN_VERSIONS = (PREVIEW_VERSION, *GA_VERSIONS)


def is_ga(api_version: str) -> bool:
    """Whether `api_version` is a GA version; raises ValueError for one the app does not speak."""
    if api_version not in KNOWN_VERSIONS:
        raise ValueError(
            f"ACS_API_VERSION {api_version!r} is not one the app speaks: "
            f"{PREVIEW_VERSION}, or a GA version from {GA_VERSIONS[0]} to {NEWEST_GA_VERSION} "
            f"({', '.join(GA_VERSIONS)})."
        )
    return api_version != PREVIEW_VERSION
