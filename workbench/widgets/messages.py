"""Messages that bench workers post; handlers on the bench own the state they carry."""

from __future__ import annotations

from textual.message import Message
from textual.widget import Widget

from workbench.bench import (
    LoadedChain,
    SetupKey,
    StepSpec,
    TopicRunProgress,
    TopicRunSummary,
    WindowResult,
)


class ModulesLoaded(Message):
    """A bench's modules compiled (or failed to, with the reason)."""

    def __init__(self, loaded: LoadedChain | None, error: str | None) -> None:
        super().__init__()
        self.loaded = loaded
        self.error = error


class WindowComputed(Message):
    """Outputs for the visible rows are ready (or the run failed)."""

    def __init__(
        self,
        generation: int,
        result: WindowResult | None,
        error: str | None,
        setup_failed: SetupKey | None = None,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.result = result
        self.error = error
        self.setup_failed = setup_failed
        """The setup whose ``init`` failed, when that is why there is no result."""


class TopicRunProgressed(Message):
    """A whole-topic run finished another batch; a flood collapses to the newest."""

    def __init__(self, run_id: int, progress: TopicRunProgress) -> None:
        super().__init__()
        self.run_id = run_id
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TopicRunProgressed)


class TopicRunFinished(Message):
    """A whole-topic run ended: done, cancelled, failed, or could not start."""

    def __init__(
        self,
        run_id: int,
        summary: TopicRunSummary | None,
        error: str | None,
        setup_failed: SetupKey | None = None,
    ) -> None:
        super().__init__()
        self.run_id = run_id
        self.summary = summary
        self.error = error
        self.setup_failed = setup_failed
        """The setup whose ``init`` failed, when that is why the run never started."""


class SearchFound(Message):
    """A search found a row (or None: no more matches).

    ``index`` is an Input row index, or for a search of a whole-topic run's output
    (``in_output``) the offset of the input record whose output matched.
    """

    def __init__(
        self, query: str, index: int | None, in_output: bool = False, where: str = ""
    ) -> None:
        super().__init__()
        self.query = query
        self.index = index
        self.in_output = in_output
        self.where = where
        """What was searched, for the no-match message."""


class TopicGrew(Message):
    """A bench saw records appended to its topic; the app updates the sidebar."""

    def __init__(self, topic: str, count: int) -> None:
        super().__init__()
        self.topic = topic
        self.count = count


class BenchChanged(Message):
    """A bench's spec changed; the app saves the session."""


class WatchEventArrived(Message):
    """The module watcher reported something (reload, failure, build progress)."""

    def __init__(self, event: object) -> None:
        super().__init__()
        self.event = event


class WatchEnded(Message):
    """The watcher stopped: asked to, or it could not start (with the reason)."""

    def __init__(self, error: str | None) -> None:
        super().__init__()
        self.error = error


class StepsLoaded(Message):
    """A changed chain's modules loaded and set up (or failed to, with the reason)."""

    def __init__(
        self,
        steps: list[StepSpec],
        modules: list[object] | None,
        note: str,
        error: str | None,
    ) -> None:
        super().__init__()
        self.steps = steps
        self.modules = modules
        self.note = note
        self.error = error


class StepsChanged(Message):
    """A bench now runs another chain; its tab title and the session follow."""

    def __init__(self, bench: Widget) -> None:
        super().__init__()
        self.bench = bench
