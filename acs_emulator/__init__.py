"""A local emulator of Azure Communication Services Call Automation (the 2021 preview API).

It imports nothing from the Incident Reporter app. See `acs_emulator.app.build_app`.
"""

from acs_emulator.app import EmulatorApp, build_app
from acs_emulator.config import EmulatorConfig

__all__ = ["EmulatorApp", "EmulatorConfig", "build_app"]
