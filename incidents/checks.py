"""Deploy-time checks for settings that work embedded but must change in production."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.compatibility, deploy=True)
def check_channel_layer_reaches_every_process(**kwargs: Any) -> list[CheckMessage]:
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if backend != "channels.layers.InMemoryChannelLayer":
        return []
    return [
        Warning(
            "The in-memory channel layer only reaches WebSockets served by the same process.",
            hint="Set REDIS_URL so that live updates reach every daphne process and worker.",
            id="incidents.W001",
        )
    ]
