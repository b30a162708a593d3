"""A local emulator of Azure Communication Services Call Automation: the 2021 preview API and
the GA API (`/calling/callConnections`), over one simulated phone network.

It imports nothing from the Incident Reporter app. See `acs_emulator.app.build_app`.
"""

from acs_emulator.app import EmulatorApp, build_app
from acs_emulator.config import EMULATOR_RESOURCE_ID, EmulatorConfig

__all__ = ["EMULATOR_RESOURCE_ID", "EmulatorApp", "EmulatorConfig", "build_app"]
