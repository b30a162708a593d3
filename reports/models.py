"""The rates a report's cost estimate uses, set by admins in the admin site."""

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q


class CallRates(models.Model):
    """What the provider charges per participant-minute. The newest row is the one in force;
    without any, reports show no cost (reports.cost.current_rates)."""

    pstn_per_minute = models.DecimalField(
        "PSTN per minute",
        max_digits=10,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0))],
        help_text="Per started minute of each phone-number (+E.164) participant.",
    )
    voip_per_minute = models.DecimalField(
        "VoIP per minute",
        max_digits=10,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0))],
        help_text="Per started minute of each Communication Services (8:acs:…) participant.",
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Give an ISO 4217 code, e.g. USD.")],
        help_text="ISO 4217, e.g. USD or EUR.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "call rates"
        verbose_name_plural = "call rates"
        constraints = [
            models.CheckConstraint(
                condition=Q(pstn_per_minute__gte=0, voip_per_minute__gte=0),
                name="call_rates_not_negative",
            )
        ]

    def __str__(self) -> str:
        return (
            f"PSTN {self.pstn_per_minute} / VoIP {self.voip_per_minute} {self.currency} per minute"
        )
