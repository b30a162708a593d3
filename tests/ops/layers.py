"""Channel layers that fail the way a real one can, for /readyz's tests."""

import asyncio
from typing import Any

from channels.layers import InMemoryChannelLayer


class SilentLayer(InMemoryChannelLayer):
    """Takes messages and never delivers them (a layer that hangs)."""

    async def receive(self, channel: str) -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")
