"""The cost estimate: participant-minutes at the admins' rates, rounded as the provider rounds
(each participant leg per started minute)."""

import math
from dataclasses import dataclass
from decimal import Decimal

from reports.models import CallRates

ZERO = Decimal("0.0000")  # the rates' four places, so that sums print alike


@dataclass(frozen=True)
class Rates:
    pstn_per_minute: Decimal
    voip_per_minute: Decimal
    currency: str


def current_rates() -> Rates | None:
    """The rates in force (the newest row), or None when admins have set none."""
    row = CallRates.objects.first()
    if row is None:
        return None
    return Rates(row.pstn_per_minute, row.voip_per_minute, row.currency)


def billed_minutes(seconds: float) -> int:
    """Started minutes: 0 s is nothing, 0.2 s one minute, 60 s one, 60.5 s two."""
    return math.ceil(seconds / 60) if seconds > 0 else 0


def is_pstn(identifier: str) -> bool:
    """Phone numbers ("+E.164") are PSTN legs; Communication Services users ("8:…") VoIP."""
    return identifier.startswith("+")


def leg_cost(*, identifier: str, seconds: float, rates: Rates | None) -> Decimal:
    """One participant leg's estimated cost (zero without rates)."""
    if rates is None:
        return ZERO
    rate = rates.pstn_per_minute if is_pstn(identifier) else rates.voip_per_minute
    return rate * billed_minutes(seconds)
