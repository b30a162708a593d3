"""The emulator's parts wired together, with the explicit reset and shutdown the app needs.

Calls of both dialects live on one switchboard; each call's reporter speaks its dialect."""

from acs_emulator.behaviours import Behaviour, BehaviourBook
from acs_emulator.callbacks import CallbackDispatcher
from acs_emulator.calls import Switchboard
from acs_emulator.config import EmulatorConfig
from acs_emulator.events import PreviewReporter
from acs_emulator.faults import FaultInjector
from acs_emulator.ga_events import GaReporter
from acs_emulator.ga_media import GaMedia
from acs_emulator.media import MediaPlayer
from acs_emulator.repeatability import RepeatabilityLedger
from acs_emulator.reports import Reporter
from acs_emulator.state import Dialect
from acs_emulator.tasks import TaskSet
from acs_emulator.tokens import TokenSigner
from acs_emulator.transport import Transport


class Emulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.tasks = TaskSet()
        self.transport = Transport()
        self.faults = FaultInjector()
        self.behaviours = BehaviourBook(Behaviour(answer_after_ms=config.default_answer_after_ms))
        self.ledger = RepeatabilityLedger()
        self.signer = TokenSigner(config.jwt_audience, config.jwt_private_key_pem)
        self.dispatcher = CallbackDispatcher(
            config, self.faults, self.transport, self.tasks, self.signer
        )
        self.media = MediaPlayer(config, self.transport, self.dispatcher, self.tasks)
        self.ga_media = GaMedia(config, self.transport, self.dispatcher, self.tasks)
        reporters: dict[Dialect, Reporter] = {
            Dialect.PREVIEW: PreviewReporter(self.dispatcher),
            Dialect.GA: GaReporter(self.dispatcher, self.ga_media),
        }
        self.switchboard = Switchboard(config, self.behaviours, reporters, self.media, self.tasks)

    async def reset(self) -> None:
        """Forget calls, behaviours, faults and repeatable requests; stop all background work."""
        await self.tasks.cancel_all()
        self.dispatcher.clear()
        self.switchboard.clear()
        self.behaviours.clear()
        self.faults.clear()
        self.ledger.clear()

    async def aclose(self) -> None:
        """Stop background work and close the outbound HTTP client; call it in the serving loop."""
        await self.reset()
        await self.transport.aclose()
