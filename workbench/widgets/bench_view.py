"""One bench: a module chain beside its input, with output drawn for its kind.

Workers compile modules and run windows and whole topics in threads; they only post
messages, and the handlers below own every piece of state.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array
from bisect import bisect_right
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import DescendantFocus
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, ProgressBar, RichLog, Sparkline, Static, TextArea
from textual.worker import Worker, get_current_worker

from workbench.bench import (
    TOPIC_RUN_BATCH,
    BenchServices,
    BenchSpec,
    BuildCounter,
    InputRow,
    InputSource,
    LoadedChain,
    ScratchSource,
    SetupKey,
    StepSpec,
    TopicRunProgress,
    TopicRunSummary,
    TopicSource,
    WindowResult,
    checkpoint_before,
    load_step_module,
    resumable_copy,
    run_topic,
    run_window,
    watch_window,
)
from workbench.engine.types import ModuleKind
from workbench.errors import NotFoundError, SmartbenchError
from workbench.widgets.fitted import FittedLine, Part, join_parts
from workbench.widgets.messages import (
    BenchChanged,
    ModulesLoaded,
    SearchFound,
    StepsChanged,
    StepsLoaded,
    TopicGrew,
    TopicRunFinished,
    TopicRunProgressed,
    WatchEnded,
    WatchEventArrived,
    WindowComputed,
)
from workbench.widgets.output_view import ALIGNED, STREAM, OutputView
from workbench.widgets.record_view import InputView, RecordView
from workbench.widgets.scratch_editor import ScratchEditor

if TYPE_CHECKING:
    from textual.timer import Timer

    from workbench.engine.broker import Broker
    from workbench.engine.watch import BuildConfig

log = logging.getLogger(__name__)

AUTO_RUN_LIMIT = 200_000
"""Topics up to this size get a whole-topic run as soon as the bench opens."""
WINDOW_DEBOUNCE = 0.1
SCRATCH_DEBOUNCE = 0.15
TAIL_INTERVAL = 0.5
PROGRESS_INTERVAL = 0.1
"""Seconds between progress updates a whole-topic run sends the UI."""
WINDOW_MARGIN = 20
NO_RUN_NOTE = "init failed: no records ran"
"""Rows computed beyond the visible ones, so small scrolls need no new run."""


# How long each fact stays when a header or title is too narrow (higher: longer).
SPARKLINE_MIN_WIDTH = 100
OUTPUT_PENDING = "…"
"""An output line not computed yet."""
OUTPUT_NOT_LOADED = "module not loaded"
"""An output line that cannot be computed: the module failed to load."""
SOURCE_NEWER = "source newer than registered — promote again"
BUILD_TOAST_LINES = 4
"""How many of a failed build's last lines its toast shows."""
RANK_HASH = 1
RANK_SIZE = 2
RANK_PATH = 3
RANK_ABI = 4
RANK_LABEL = 5
RANK_SETTING = 6
RANK_KEY = 8
RANK_COUNT = 9


def human_size(size: int) -> str:
    """Bytes as B, KB or MB with one decimal."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


class BenchView(Vertical):
    """A module (or chain) on a topic or on scratch input."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run_topic", "Run", tooltip="Run the whole topic"),
        Binding("escape", "cancel_run", "Cancel", show=False),
        Binding("e", "edit_params", "Params", tooltip="Edit params and initial"),
        Binding("h", "toggle_dropped", "Hide dropped", show=False),
        Binding("f", "toggle_tail", "Tail", show=False),
        Binding("s", "toggle_scratch", "Scratch", tooltip="Type input by hand"),
        Binding("n", "produce", "Produce", show=False),
        Binding("l", "toggle_log", "Log", show=False),
        Binding("d", "toggle_diff", "Diff", show=False),
        Binding("slash", "search", "Search", show=False),
        Binding("left_square_bracket", "step(-1)", "Prev step", key_display="["),
        Binding("right_square_bracket", "step(1)", "Next step", key_display="]"),
        Binding("tab", "switch_pane", "Pane", show=False),
    ]
    HELP = (
        "A bench: Input on the left, the module's Output on the right.\n"
        "r runs the whole topic (Esc cancels), e edits params, s switches to "
        "scratch input (Esc leaves its editor, t goes back to a topic), n produces "
        "a record, f toggles tail, h hides dropped records, l shows the module's "
        "log, / searches, [ and ] pick a chain step. Ctrl+PageDown/PageUp (or > "
        "and <) move between benches."
    )

    tail: reactive[bool] = reactive(True)
    """Follow records appended to the topic."""
    hide_dropped: reactive[bool] = reactive(False)
    """Show only the records a filter kept (read from the whole-topic run)."""

    def __init__(
        self,
        spec: BenchSpec,
        services: BenchServices,
        bench_id: str,
        prefer_editor: bool = False,
    ):
        super().__init__(id=bench_id, classes="bench")
        self.prefer_editor = prefer_editor
        """Focus the scratch editor, not the Output pane, when first shown."""
        self.spec = spec
        self.services = services
        self._poll_timer: Timer | None = None
        self.loaded: LoadedChain | None = None
        self.load_error: str | None = None
        self.window: WindowResult | None = None
        self.run_summary: TopicRunSummary | None = None
        self.run_progress: TopicRunProgress | None = None
        self.output_topic: str | None = None
        self.new_records = 0
        self.step: int | None = None
        self.throughputs: list[float] = []
        self._generation = 0
        self._run_id = 0
        self._window_timer: Timer | None = None
        self._watch_note = ""
        self._watcher: Any = None
        self._pending_watch: tuple[Path, BuildConfig | None] | None = None
        """A watch asked for before the panes existed; started once mounted."""
        self._last_focused: Widget | None = None
        self.window_requests = 0
        """Recomputes asked for (scrolls, edits, reloads), run or not."""
        self.chain_builds = BuildCounter()
        """Every chain this bench built, and so every ``init`` it ran."""
        self._setup_failure: tuple[SetupKey, str] | None = None
        """The setup whose ``init`` failed, and the error: not retried unchanged."""
        self._window_busy = False
        self._window_again = False
        self._topic_busy = False
        self._topic_stop = threading.Event()
        """Set to stop the whole-topic run in flight at its next batch."""
        self._output_search: Worker[None] | None = None
        self._progress_posted = 0.0
        self._has_diff = False
        self._source_sha: str | None = None
        """The hash of the watched source's module, on a registered bench."""
        self._watched_path: Path | None = None
        self._topic_again: str | None = None
        """``full`` or ``resume``: the run to start once the one in flight ends."""
        self._resuming = False
        self._auto_run_pending = False
        self.topic_gone = False
        """The topic was deleted under the bench; it follows one of that name again."""
        self._topic_identity: tuple[int, int] | None = None
        """The topic read, told from one deleted and created again under its name."""

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield FittedLine(id="bench-header", classes="bench-header")
        # Across both panes, so it can wrap without moving one pane's rows.
        yield Static(id="window-note", classes="window-note")
        with Horizontal(classes="panes"):
            with Vertical(classes="side input-side"):
                yield FittedLine(id="input-title", classes="pane-title")
                yield InputView(self._make_source(), id="input")
                yield ScratchEditor(self.spec.scratch_text, id="scratch")
            with Vertical(classes="side output-side"):
                yield FittedLine(id="output-title", classes="pane-title")
                yield OutputView(id="output")
        yield Static(id="error-panel", classes="error-panel")
        yield Static(id="diff-panel", classes="diff-panel")
        yield RichLog(id="log-panel", max_lines=1000, wrap=True, markup=False)
        yield ProgressBar(id="run-progress", show_eta=False)
        with Horizontal(classes="stats-row"):
            yield FittedLine(id="stats", classes="stats")
            yield Sparkline([], id="spark")
        yield Input(placeholder="search this pane, Enter for next", id="search")

    def on_mount(self) -> None:
        self.query_one("#scratch", TextArea).display = self.spec.topic is None
        self.input_view.display = self.spec.topic is not None
        self.query_one("#error-panel").display = False
        self.query_one("#diff-panel").display = False
        self.query_one("#log-panel").display = False
        self.query_one("#run-progress").display = False
        self.query_one("#search").display = False
        self.query_one("#window-note").display = False
        self.input_view.refresh_lines_count()
        self._align_output_with_input()
        self._refresh_titles()
        self._refresh_header()
        self._remember_topic_identity()
        self._load_modules()
        if getattr(self.app, "bench", None) is self:
            self.restore_focus()
        self._start_polling()
        if self._pending_watch is not None:
            # After the first layout, so the watched window is the rows on screen.
            self.call_after_refresh(self._start_pending_watch)

    def focus_input(self) -> None:
        """Focus the Input pane (or the scratch editor)."""
        if self.spec.topic is None:
            self.scratch_editor.focus()
        else:
            self.input_view.focus()

    def restore_focus(self) -> None:
        """Focus what had it when the bench was last left, else a record pane.

        A scratch bench gives its editor the focus only when it was there before
        (or the bench was just opened for typing), so keys are not typed into it.
        """
        last = self._last_focused
        if last is not None and last.is_attached and last.display:
            last.focus()
        elif self.spec.topic is not None:
            self.input_view.focus()
        elif self.prefer_editor:
            self.scratch_editor.focus()
        else:
            self.output_view.focus()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        self._last_focused = event.widget
        # The pane used last leads while a bar (search) has the focus.
        panes = (self.input_view, self.output_view, self.scratch_editor)
        if event.widget in panes:
            output_used = event.widget is self.output_view
            self.input_view.leads_unfocused = not output_used
            self.output_view.leads_unfocused = output_used

    def _output_leads(self) -> bool:
        """True when the Output pane sets the scroll position lined-up panes share."""
        output = self.output_view
        if output.has_focus:
            return True
        other_pane = self.input_view.has_focus or self.scratch_editor.has_focus
        return output.leads_unfocused and not other_pane

    @on(ScratchEditor.Left)
    def _scratch_left(self, message: ScratchEditor.Left) -> None:
        message.stop()
        self.output_view.focus()

    @property
    def scratch_editor(self) -> ScratchEditor:
        """The editor of scratch input (shown when the bench has no topic)."""
        return self.query_one("#scratch", ScratchEditor)

    def describe_input(self) -> str:
        """What the bench reads, in a few words."""
        if self.spec.topic is None:
            return "on scratch input"
        return f"on topic {self.spec.topic}"

    @property
    def input_view(self) -> InputView:
        """The Input pane."""
        return self.query_one("#input", InputView)

    def input_row_at(self, offset: int) -> InputRow | None:
        """The input row at topic ``offset``, if the Input pane has it."""
        index = self.input_row_index(offset)
        return None if index is None else self.input_view.row(index)

    def input_row_index(self, offset: int) -> int | None:
        """The Input pane's line of the record at topic ``offset``, if it has it."""
        first = self.input_view.row(0)
        if first is None or offset < first.offset:
            return None
        index = offset - first.offset
        row = self.input_view.row(index)
        return index if row is not None and row.offset == offset else None

    @property
    def output_view(self) -> OutputView:
        """The Output pane."""
        return self.query_one("#output", OutputView)

    def _align_output_with_input(self) -> None:
        # Scratch output lines sit beside the editor's lines, blank ones included.
        source = self.input_view.source
        line_rows = source.line_rows if isinstance(source, ScratchSource) else None
        self.output_view.set_line_rows(line_rows)

    def _make_source(self) -> InputSource:
        if self.spec.topic is None:
            return ScratchSource(self.spec.scratch_text, self.spec.key_separator)
        if self.topic_gone:
            # Its records went with it: showing the old ones would pass them off
            # as the topic's, and runs would read something else.
            return _ListSource([], self.spec.topic)
        return TopicSource(self.services.broker, self.spec.topic, self.spec.partition)

    # --- loading --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load_modules(self) -> None:
        registry = None
        try:
            if any(not step.is_path for step in self.spec.steps):
                registry = self.services.open_registry()
            modules = [load_step_module(s, registry) for s in self.spec.steps]
            self.post_message(ModulesLoaded(self._chain_of(modules), None))
        except SmartbenchError as error:
            self.post_message(ModulesLoaded(None, error.message))
        except Exception as error:
            log.exception("loading %s", self.spec.title)
            self.post_message(ModulesLoaded(None, f"cannot load: {error}"))
        finally:
            if registry is not None:
                registry.close()

    def _chain_of(self, modules: list[object]) -> LoadedChain:
        return LoadedChain(self.spec, modules, self.services.limits, self.chain_builds)

    @on(ModulesLoaded)
    def _modules_loaded(self, message: ModulesLoaded) -> None:
        message.stop()
        self.loaded = message.loaded
        self.load_error = message.error
        self.refresh_bindings()
        self._refresh_header()
        if message.error is not None:
            self._show_not_loaded()
            self.show_error(message.error)
            return
        self.output_view.placeholder = OUTPUT_PENDING
        self.show_error(None)
        self.reset_results()
        # Promoted again, or loaded after the watch started: compare anew.
        self._mark_source()

    def _show_not_loaded(self) -> None:
        # Nothing will be computed until the module loads: the Output pane says so
        # instead of waiting, and keys do not go into an editor nobody chose.
        self.output_view.placeholder = OUTPUT_NOT_LOADED
        self.output_view.invalidate()
        self._refresh_titles()
        self.prefer_editor = False
        if self.scratch_editor.has_focus:
            self.output_view.focus()

    def reload_modules(self) -> None:
        """Compile the modules again (spec changed, module promoted or rebuilt)."""
        self._load_modules()

    def change_steps(self, steps: list[StepSpec], note: str) -> None:
        """Run ``steps`` instead, once each loads and sets up; else nothing changes."""
        self._load_steps(steps, note)

    @work(thread=True, exclusive=True, group="edit", exit_on_error=False)
    def _load_steps(self, steps: list[StepSpec], note: str) -> None:
        registry = None
        try:
            if any(not step.is_path for step in steps):
                registry = self.services.open_registry()
            modules = [load_step_module(step, registry) for step in steps]
            # Set up once (init with its params) so a failing init is said now.
            candidate = LoadedChain(
                replace(self.spec, steps=steps), modules, self.services.limits
            )
            candidate.build().close()
            self.post_message(StepsLoaded(steps, modules, note, None))
        except SmartbenchError as error:
            self.post_message(StepsLoaded(steps, None, note, error.message))
        except Exception as error:
            log.exception("loading a chain for %s", self.spec.title)
            self.post_message(StepsLoaded(steps, None, note, f"cannot load: {error}"))
        finally:
            if registry is not None:
                registry.close()

    @on(StepsLoaded)
    def _steps_loaded(self, message: StepsLoaded) -> None:
        message.stop()
        if message.modules is None:
            self.notify(
                f"{message.error}\nThe chain is unchanged.",
                title=self.spec.title,
                severity="error",
                timeout=10,
            )
            return
        self.spec.steps = message.steps
        self.step = None
        self.loaded = self._chain_of(message.modules)
        self.load_error = None
        self.show_error(None)
        self.refresh_bindings()
        self._refresh_header()
        self.reset_results()
        self.post_message(StepsChanged(self))
        self.notify(message.note, title=self.spec.title)

    def reset_results(self) -> None:
        """Forget outputs and compute them again for the current spec and input."""
        self._cancel_topic_run()
        self._run_id += 1
        self.run_summary = None
        self.window = None
        self.hide_dropped = False
        self.output_view.show_window(
            None, self.input_view.line_count(), self._layout_kind()
        )
        count = self.input_view.line_count()
        # The whole-topic run waits for the window's chain to build: a module
        # whose init fails or hangs then costs one build, not two at once.
        self._auto_run_pending = (
            self.spec.topic is not None and 0 < count <= AUTO_RUN_LIMIT
        )
        self.schedule_window(0)
        self._refresh_titles()
        self._refresh_stats()

    def _setup_failed(self) -> str | None:
        """The init error of the current modules, params and ABI, if it failed."""
        failure = self._setup_failure
        if failure is None or self.loaded is None:
            return None
        key, error = failure
        return error if key == self.loaded.setup_key else None

    def _remember_setup_failure(self, key: SetupKey, error: str | None) -> None:
        self._setup_failure = (key, error or "init failed")
        self.show_error(self._setup_failure[1])
        self._refresh_titles()
        self._refresh_stats()

    def _kind(self) -> ModuleKind | None:
        if self.loaded is None:
            return None
        if self.step is not None:
            kind: ModuleKind = self.loaded.modules[self.step].info.kind
            return kind
        return self.loaded.kind

    def _layout_kind(self) -> ModuleKind | None:
        """The kind whose layout the Output pane uses for the step shown.

        After an array-map anywhere up to that step, one input record can have
        many outputs, so they are listed under it as an array-map's children are,
        whatever kind the last step is.
        """
        kind = self._kind()
        if self.loaded is None or kind is None:
            return kind
        shown = len(self.loaded.modules) - 1 if self.step is None else self.step
        modules = self.loaded.modules[: shown + 1]
        if any(m.info.kind is ModuleKind.ARRAY_MAP for m in modules):
            return ModuleKind.ARRAY_MAP
        return kind

    # --- window runs ----------------------------------------------------------------

    def schedule_window(self, delay: float = WINDOW_DEBOUNCE) -> None:
        """Recompute the visible window after ``delay`` seconds of quiet."""
        if self._window_timer is not None:
            self._window_timer.stop()
        if delay <= 0:
            self._window_timer = None
            self._start_window()
            return
        self._window_timer = self.set_timer(delay, self._start_window)

    def _start_window(self) -> None:
        self._window_timer = None
        self.window_requests += 1
        if self.loaded is None:
            return
        setup_error = self._setup_failed()
        if setup_error is not None:
            # Unchanged modules, params and ABI would fail init the same way.
            self.show_error(setup_error)
            return
        self._generation += 1
        if self._window_busy:
            # One window run at a time: the one in flight is superseded and this
            # one starts when it ends, so slow runs never pile up in threads.
            self._window_again = True
            return
        start, stop = self._window_bounds()
        initial, note = self._initial_for(start)
        if initial is not None and self.run_summary is not None:
            start = checkpoint_before(self.run_summary.checkpoints, start)[0]  # type: ignore[index]
        rows = self.input_view.rows(start, stop)
        visible_start = self.input_view.visible_range()[0]
        self._window_busy = True
        key = self.loaded.setup_key
        self._run_window(
            self._generation,
            self.loaded,
            start,
            rows,
            initial,
            note,
            visible_start,
            key,
        )

    def _window_bounds(self) -> tuple[int, int]:
        view = self.input_view
        if self.spec.topic is None:
            return 0, view.line_count()
        top, bottom = view.visible_range()
        if self.output_view.mode != ALIGNED and self.window is not None:
            top = view.cursor
        return max(0, top - WINDOW_MARGIN), bottom + WINDOW_MARGIN

    def _initial_for(self, start: int) -> tuple[bytes | None, str | None]:
        if self.loaded is None or self.loaded.kind is not ModuleKind.AGGREGATE:
            return None, None
        summary = self.run_summary
        if summary is not None and not summary.cancelled:
            checkpoint = checkpoint_before(summary.checkpoints, start)
            # Past where a run stopped, the nearest checkpoint can be far above
            # the window: replaying up to here would read and run that whole gap.
            if checkpoint is not None and start - checkpoint[0] <= TOPIC_RUN_BATCH:
                return checkpoint[1], None
        if start == 0:
            return None, None
        row = self.input_view.row(start)
        offset = row.offset if row else start
        return None, f"accumulator from offset {offset:,}, not from the beginning"

    @work(thread=True, exclusive=True, group="window", exit_on_error=False)
    def _run_window(
        self,
        generation: int,
        loaded: LoadedChain,
        start: int,
        rows: list[InputRow],
        initial: bytes | None,
        note: str | None,
        visible_start: int,
        key: SetupKey,
    ) -> None:
        try:
            result = run_window(
                loaded,
                start,
                rows,
                initial,
                self.step,
                visible_start=visible_start,
            )
            result.accumulator_note = note
            self.post_message(WindowComputed(generation, result, None))
        except SmartbenchError as error:
            failed = key if _is_setup_error(error) else None
            self.post_message(WindowComputed(generation, None, error.message, failed))
        except Exception as error:
            log.exception("window run of %s", self.spec.title)
            self.post_message(WindowComputed(generation, None, f"run failed: {error}"))

    @on(WindowComputed)
    def _window_computed(self, message: WindowComputed) -> None:
        message.stop()
        self._window_busy = False
        if message.setup_failed is not None:
            self._remember_setup_failure(message.setup_failed, message.error)
        if message.generation == self._generation:
            self._show_window_computed(message)
        if self._window_again:
            self._window_again = False
            self._start_window()

    def _show_window_computed(self, message: WindowComputed) -> None:
        if self._auto_run_pending and message.setup_failed is None:
            self._auto_run_pending = False
            self._start_topic_run()
        if message.result is None:
            self.show_error(message.error)
            return
        self.window = message.result
        if not (self.hide_dropped and self.output_view.mode == STREAM):
            self.output_view.show_window(
                message.result, self.input_view.line_count(), self._layout_kind()
            )
        self._show_window_diagnostics(message.result)
        self._record_throughput(message.result.records_in, message.result.seconds)
        self._refresh_titles()
        self._refresh_stats()

    def _show_window_diagnostics(self, result: WindowResult) -> None:
        first = result.rows[0].offset if result.rows else 0
        last = result.rows[-1].offset if result.rows else 0
        if result.failure is not None and result.error_index is not None:
            culprit = result.rows[result.error_index].offset
            self.show_error(
                f"{result.failure}\n(caused by the record at offset {culprit}; "
                "Enter on its Output line shows it)"
            )
        elif result.failure is not None:
            self.show_error(
                f"{result.failure}\n(while processing offsets {first}–{last})"
            )
        elif result.error is not None:
            self.show_error(result.error.render())
        else:
            self.show_error(None)
        # The panel shows each batch's log with its offsets; what a single record
        # made the module write sits under that record (✎, and its detail view).
        log_panel = self.query_one("#log-panel", RichLog)
        for row_index, text in result.logs:
            if row_index is None:
                log_panel.write(f"[batch {first}–{last}] {text}")
        if result.attribution_note:
            log_panel.write(result.attribution_note)
        for notice in result.notices:
            self.notify(notice, title="Module state")

    # --- whole-topic runs -----------------------------------------------------------

    def action_run_topic(self) -> None:
        """Run the module over the whole topic into a temporary topic.

        Asked for by the user, so a setup whose ``init`` failed is tried again.
        """
        if self.loaded is None:
            self.notify("the module is not loaded", severity="warning")
            return
        if self.spec.topic is None:
            self._setup_failure = None
            self.schedule_window(0)
            return
        # The panes must show what the run reads: a topic deleted or created
        # again since the last look is followed first.
        self._poll_topic()
        if self.topic_gone:
            self.notify(_topic_gone_note(self.spec.topic), severity="warning")
            return
        self._start_topic_run(retry=True)

    def _start_topic_run(self, retry: bool = False) -> None:
        if self.loaded is None or self.spec.topic is None or self.topic_gone:
            return
        # Window runs stay held while a retry builds: one build at a time.
        setup_error = self._setup_failed()
        if setup_error is not None and not retry:
            self.show_error(setup_error)
            return
        self._run_id += 1
        if self._topic_busy:
            # The run in flight stops at its next batch; this one starts after it.
            self._cancel_topic_run()
            self._topic_again = "full"
            return
        self._drop_output_topic()
        self.output_topic = self.services.temporary_topic_name()
        self.run_progress = None
        bar = self.query_one("#run-progress", ProgressBar)
        bar.update(total=max(1, self.input_view.line_count()), progress=0)
        bar.display = True
        self._topic_busy = True
        self._resuming = False
        self._topic_stop = threading.Event()
        key = self.loaded.setup_key
        self._run_topic_worker(
            self._run_id, self.loaded, self.output_topic, None, key, self._topic_stop
        )

    def _resume_topic_run(self) -> None:
        """Run the records appended since the last complete run, into its output."""
        summary = self.run_summary
        if self.loaded is None or summary is None or summary.output_topic is None:
            return
        stopped = summary.cancelled or summary.error or summary.failure
        if stopped or summary.records_in >= self.input_view.line_count():
            return
        if self._topic_busy:
            self._topic_again = self._topic_again or "resume"
            return
        self._run_id += 1
        self._topic_busy = True
        self._resuming = True
        copy = resumable_copy(summary)
        key = self.loaded.setup_key
        output_topic = summary.output_topic
        self._topic_stop = threading.Event()
        self._run_topic_worker(
            self._run_id, self.loaded, output_topic, copy, key, self._topic_stop
        )

    @work(thread=True, exclusive=True, group="topic", exit_on_error=False)
    def _run_topic_worker(
        self,
        run_id: int,
        loaded: LoadedChain,
        output_topic: str,
        resume: TopicRunSummary | None,
        key: SetupKey,
        stop: threading.Event,
    ) -> None:
        worker = get_current_worker()
        # A connection of its own: the run reads and writes for seconds on end,
        # and sharing the app's would make every page the panes draw wait for it.
        broker: Broker | None = None
        try:
            broker = self.services.open_broker()
            source = TopicSource(broker, self.spec.topic or "", self.spec.partition)
            if resume is None:
                broker.create_topic(output_topic)

            def write(values: list[bytes], keys: list[bytes | None]) -> None:
                keyed = any(key is not None for key in keys)
                broker.produce(output_topic, values, keys if keyed else None, 0, 0)

            summary = run_topic(
                loaded,
                source,
                write,
                lambda: stop.is_set() or worker.is_cancelled,
                lambda p: self._post_progress(run_id, p),
                output_topic,
                resume=resume,
            )
            self.post_message(TopicRunFinished(run_id, summary, None))
        except SmartbenchError as error:
            failed = key if _is_setup_error(error) else None
            self.post_message(TopicRunFinished(run_id, None, error.message, failed))
        except Exception as error:
            log.exception("topic run of %s", self.spec.title)
            self.post_message(TopicRunFinished(run_id, None, f"run failed: {error}"))
        finally:
            if broker is not None:
                broker.close()

    def _post_progress(self, run_id: int, progress: TopicRunProgress) -> None:
        # Every message from a worker wakes the UI's event loop, which then waits
        # for the GIL; a message per batch would keep the UI from its keys.
        now = time.monotonic()
        if now - self._progress_posted < PROGRESS_INTERVAL:
            return
        self._progress_posted = now
        self.post_message(TopicRunProgressed(run_id, progress))

    @on(TopicRunProgressed)
    def _topic_run_progressed(self, message: TopicRunProgressed) -> None:
        message.stop()
        if message.run_id != self._run_id or self._resuming:
            return
        self.run_progress = message.progress
        bar = self.query_one("#run-progress", ProgressBar)
        bar.update(total=max(1, message.progress.total), progress=message.progress.done)
        self._refresh_titles()

    @on(TopicRunFinished)
    def _topic_run_finished(self, message: TopicRunFinished) -> None:
        message.stop()
        self._topic_busy = False
        if message.setup_failed is not None:
            self._remember_setup_failure(message.setup_failed, message.error)
        if message.run_id == self._run_id:
            self._show_topic_run(message)
        again, self._topic_again = self._topic_again, None
        if again == "full":
            self._start_topic_run()
        elif again == "resume":
            self._resume_topic_run()

    def _show_topic_run(self, message: TopicRunFinished) -> None:
        self.query_one("#run-progress", ProgressBar).display = False
        self.run_progress = None
        if message.summary is None:
            self.show_error(message.error)
            return
        summary = message.summary
        if self._setup_failed() is not None:
            # A retry got past init: windows may run again.
            self._setup_failure = None
            self.schedule_window(0)
        logs_shown = (
            self.run_summary.logged_batches
            if self._resuming and self.run_summary
            else 0
        )
        self.run_summary = summary
        self._show_run_diagnostics(summary, logs_shown)
        if not self._resuming:
            self._record_throughput(summary.records_in, summary.seconds)
        if summary.cancelled:
            self.notify("run cancelled", title=self.spec.title)
        if self.loaded is not None and self.loaded.kind is ModuleKind.AGGREGATE:
            self.schedule_window(0)
        if self.hide_dropped:
            self._show_run_output()
        self._refresh_titles()
        self._refresh_stats()

    def _show_run_diagnostics(
        self, summary: TopicRunSummary, logs_shown: int = 0
    ) -> None:
        window = self.window
        if window is not None and (window.failure or window.error):
            # The window's panel names the very record on screen; the run's
            # outcome is in the count and the stats line.
            pass
        elif summary.failure is not None and summary.failed_offsets is not None:
            first, last = summary.failed_offsets
            self.show_error(
                f"{summary.failure}\n(while processing offsets {first}–{last})"
            )
        elif summary.failure is not None:
            self.show_error(summary.failure)
        elif summary.error is not None:
            self.show_error(summary.error.render())
        log_panel = self.query_one("#log-panel", RichLog)
        new = summary.logged_batches - logs_shown
        kept = summary.logs[-new:] if new > 0 else []
        if new > len(kept):
            log_panel.write(
                f"[{new - len(kept):,} earlier batches wrote logs too; "
                f"the last {len(kept)} are kept]"
            )
        for first, last, text in kept:
            log_panel.write(f"[batch {first}–{last}] {text}")

    def action_cancel_run(self) -> None:
        """Stop the whole-topic run between batches."""
        search = self.query_one("#search", Input)
        if search.display:
            search.display = False
            target: RecordView = getattr(self, "_search_target", self.input_view)
            (target if target.display else self.output_view).focus()
            return
        self._cancel_topic_run()

    def _cancel_topic_run(self) -> None:
        # Not Worker.cancel: a worker cancelled before its thread starts never runs
        # its body, so the run's end would never be posted and the bench would
        # wait for it for good. The body always runs and stops at its next batch.
        self._topic_stop.set()

    def workers_in(self, group: str) -> list[Worker[None]]:
        """This bench's running workers of ``group``."""
        return [
            w
            for w in self.app.workers
            if w.node is self and w.group == group and not w.is_finished
        ]

    def _drop_output_topic(self) -> None:
        # An export copied what it kept, so the run's own topic can always go.
        if self.output_topic is None:
            return
        # Nothing may read the topic once it is gone: the pane's next page or a
        # search in flight would fail on it (exports are refused during a run).
        self._forget_run_output(self.output_topic)
        try:
            if self.services.broker.topic_exists(self.output_topic):
                self.services.broker.delete_topic(self.output_topic)
        except Exception:
            log.exception("dropping %s", self.output_topic)
        self.output_topic = None

    def _forget_run_output(self, topic: str) -> None:
        summary = self.run_summary
        if summary is not None and summary.output_topic == topic:
            self.run_summary = None
        search = self._output_search
        if search is not None and not search.is_finished:
            search.cancel()
            self.notify(
                "search stopped: a new run replaces the output it searched",
                severity="warning",
            )
        if self.output_view.shows_topic(topic):
            if self.hide_dropped and self.window is not None:
                self._show_window_kept(self.window)
            else:
                self.output_view.show_window(
                    self.window, self.input_view.line_count(), self._layout_kind()
                )

    def export_problem(self) -> str | None:
        """Why the bench has no run output to export now, or None when it has."""
        if self.spec.topic is None:
            return "export copies a whole-topic run's output; scratch input has none"
        if self._topic_busy:
            return (
                "a whole-topic run is in progress; export when it ends (Esc cancels it)"
            )
        summary = self.run_summary
        if summary is None or summary.output_topic is None:
            if self.topic_gone:
                return (
                    f"topic {self.spec.topic} no longer exists, so there is no "
                    "run output to export; press t to pick another"
                )
            return "run the whole topic first (r), then export its output"
        return None

    def close(self) -> None:
        """The bench is closing: stop its runs and watcher, drop its temporary topic."""
        self._cancel_topic_run()
        self.stop_watch()
        self._drop_output_topic()

    def on_unmount(self) -> None:
        # A watcher blocks its thread until told to stop; never leave one behind.
        self.stop_watch()
        self._cancel_topic_run()

    # --- watch ----------------------------------------------------------------------

    def start_watch(self, path: Path, build: BuildConfig | None) -> None:
        """Follow ``path``: reload on change, rebuild on source change, show diffs.

        A bench still being mounted starts the watch itself once it is.
        """
        self.stop_watch()
        if not self.is_mounted:
            self._pending_watch = (path, build)
            return
        self._begin_watch(path, build)

    def _start_pending_watch(self) -> None:
        pending = self._pending_watch
        self._pending_watch = None
        if pending is not None and self.is_attached:
            self._begin_watch(*pending)

    def _begin_watch(self, path: Path, build: BuildConfig | None) -> None:
        top, bottom = self._window_bounds()
        rows = self.input_view.rows(top, bottom)
        window = watch_window(self.spec, rows, self.services.limits)
        self._watched_path = path
        # "watching" is said only once the watcher is really listening.
        self.set_watch_note(f"starting watch on {path.name}…")
        self._watch_worker(path, window, build)

    def stop_watch(self) -> None:
        """Stop the watcher, if any (or the one waiting for the bench to mount)."""
        self._pending_watch = None
        self._source_sha = None
        self._watched_path = None
        watcher = self._watcher
        self._watcher = None
        if watcher is not None:
            watcher.stop()
        for worker in self.workers_in("watch"):
            worker.cancel()

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _watch_worker(self, path: Path, window: Any, build: BuildConfig | None) -> None:
        from workbench.engine.watch import ModuleWatcher
        from workbench.engine.window import load_watched_module

        watcher = ModuleWatcher(path, load_watched_module, window, build)
        self._watcher = watcher
        if get_current_worker().is_cancelled:
            watcher.stop()
        try:
            for event in watcher.events():
                self.post_message(WatchEventArrived(event))
            self.post_message(WatchEnded(None))
        except SmartbenchError as error:
            self.post_message(WatchEnded(error.message))
        except Exception as error:
            log.exception("watching %s", path)
            self.post_message(WatchEnded(f"watch stopped: {error}"))

    @on(WatchEnded)
    def _watch_ended(self, message: WatchEnded) -> None:
        message.stop()
        if message.error is not None:
            self.spec.watch = False
            self.set_watch_note("")
            self.show_error(message.error)

    @on(WatchEventArrived)
    def _watch_event(self, message: WatchEventArrived) -> None:
        from workbench.engine import watch as events

        message.stop()
        event = message.event
        if isinstance(event, events.WatchStarted):
            self.set_watch_note(f"watching {event.info.name}")
            if not self.spec.steps[0].is_path:
                self._source_sha = event.info.sha256
                self._mark_source()
        elif isinstance(event, events.Reloaded):
            self._reloaded(event)
        elif isinstance(event, events.ReloadFailed):
            note = f"reload failed: {event.reason}; still running "
            note += f"sha256:{event.old_sha[:8]}"
            self.show_error(note)
            self.notify(note, title="Watch", severity="error", timeout=8)
        elif isinstance(event, events.BuildStarted):
            self.set_watch_note(f"building: {event.command}")
        elif isinstance(event, events.BuildQueued):
            self.set_watch_note("sources changed during the build; one more queued")
        elif isinstance(event, events.BuildSucceeded):
            self.set_watch_note(f"built in {event.seconds:.1f} s")
        elif isinstance(event, events.BuildFailed):
            self._build_failed(event)

    def _build_failed(self, event: Any) -> None:
        # The reason is in the build's own output: show its end here and say where
        # the whole of it is kept.
        tail = "\n".join(f"  | {line}" for line in event.tail)
        self.show_error(f"build failed: {event.reason}\n{tail}\nlog: {event.log_path}")
        self.set_watch_note("build failed; old module kept")
        log_panel = self.query_one("#log-panel", RichLog)
        log_panel.write(f"[build failed: {event.reason}; log: {event.log_path}]")
        for line in event.tail:
            log_panel.write(f"  | {line}")
        last = "\n".join(event.tail[-BUILD_TOAST_LINES:])
        self.notify(
            f"{event.reason}\n{last}\nfull output: {event.log_path} (l shows it)",
            title="Build failed",
            severity="error",
            timeout=10,
        )

    def _reloaded(self, event: Any) -> None:
        info = event.info
        stamp = time.strftime("%H:%M:%S")
        if not self.spec.steps[0].is_path:
            self._source_changed(info)
            return
        self.set_watch_note(f"reloaded {stamp} ({event.latency_ms:.0f} ms)")
        self.show_error(None)
        self._show_diff(event.diff)
        summary = event.diff.summary() if event.diff is not None else ""
        self.notify(
            f"{info.kind.value}, {human_size(info.size)}, sha256:{info.sha256[:8]}"
            f" {summary}",
            title=f"Reloaded {info.name}",
        )
        self.reload_modules()

    def _source_changed(self, info: Any) -> None:
        # A registered bench keeps running the registered copy: the source's new
        # output is not what the Output pane shows, so no reload and no diff; the
        # user learns the source moved on and that P promotes it.
        self._source_sha = info.sha256
        self.show_error(None)
        same = self._mark_source()
        if same:
            note = f"{info.name} changed: same as registered"
        else:
            newer = "source newer than registered — P promotes it"
            note = f"{info.name} rebuilt: {newer}"
        self.notify(note, title=self.spec.title)

    def _mark_source(self) -> bool:
        """On a registered bench following its source, say whether they differ.

        Returns True when the source's module is the registered one.
        """
        path = self._watched_path
        sha = self._source_sha
        if self.loaded is None or sha is None or path is None:
            return False
        same = self.loaded.infos[0].sha256 == sha
        mark = "same as registered" if same else SOURCE_NEWER
        self.set_watch_note(f"watching {path.name}; {mark}")
        # P applies now that a source is followed: the footer is asked again.
        self.app.refresh_bindings()
        return same

    def watched_source(self) -> tuple[Path, bytes] | None:
        """The followed source file and its current module's bytes.

        Only on a registered bench whose watch follows its source: what promoting
        again would register.
        """
        watcher = self._watcher
        path = self._watched_path
        if self.spec.steps[0].is_path or watcher is None or path is None:
            return None
        current = watcher.current
        if current is None or self._source_sha is None:
            return None
        wasm: bytes = current.wasm
        return path, wasm

    def _show_diff(self, diff: Any) -> None:
        panel = self.query_one("#diff-panel", Static)
        text = Text()
        if diff is not None:
            styles = {"-": "red", "+": "green", "~": "yellow"}
            for line in diff.lines[:200]:
                text.append(diff.format_line(line) + "\n", styles[line.op.value])
            text.append(diff.summary(), "bold")
        panel.update(text)
        panel.display = diff is not None
        self._has_diff = self._has_diff or diff is not None

    def action_toggle_diff(self) -> None:
        """Show or hide the last reload's output diff."""
        if not self._has_diff and self._source_sha is not None:
            self.notify(
                "this bench runs the registered copy; a rebuilt source changes "
                "its output once promoted (P)",
                title="Diff",
            )
            return
        if not self._has_diff:
            self.notify(
                "no reload yet: turn watch on (w) and rebuild the module to see "
                "what its output changed",
                title="Diff",
            )
            return
        panel = self.query_one("#diff-panel")
        panel.display = not panel.display

    # --- panels and titles ----------------------------------------------------------

    def show_error(self, text: str | None) -> None:
        """Show (or hide with None) the error panel."""
        panel = self.query_one("#error-panel", Static)
        panel.display = text is not None
        panel.update(Text(text or ""))

    def _refresh_header(self) -> None:
        self.query_one("#bench-header", FittedLine).update(self.header_parts())

    def header_text(self) -> Text:
        """Name or path, kind, size, hash, ABI, params, initial value, watch."""
        return join_parts(self.header_parts())

    def header_parts(self) -> list[Part]:
        """The header's facts; hash and size give way first when it is narrow."""
        chain = len(self.spec.steps) > 1
        parts = [self._name_part(chain)]
        if self.loaded is not None:
            infos = self.loaded.infos
            info = infos[self.shown_step()] if chain else infos[0]
            kinds = " → ".join(i.kind.value for i in infos)
            kind = f"chain: {kinds}" if chain else info.kind.value
            parts += [
                Part.of(RANK_KEY, kind, droppable=False),
                Part.of(RANK_SIZE, human_size(info.size)),
                Part.of(RANK_HASH, f"sha256:{info.sha256[:8]}"),
            ]
        elif self.load_error is not None:
            parts.append(Part.of(RANK_KEY, "not loaded", style="red", droppable=False))
        else:
            parts.append(Part.of(RANK_KEY, "loading…", droppable=False))
        parts.append(Part.of(RANK_ABI, f"ABI {self.spec.abi_version}"))
        parts += self._settings_parts()
        return parts

    def _name_part(self, chain: bool) -> Part:
        if chain:
            return Part.of(RANK_KEY, self.steps_text(), droppable=False)
        module = self.spec.steps[0].module
        name = Path(module).name if self.spec.steps[0].is_path else module
        return Part.of(RANK_PATH, module, name, style="bold", droppable=False)

    def _settings_parts(self) -> list[Part]:
        parts = []
        shown = self.spec.steps[min(self.shown_step(), len(self.spec.steps) - 1)]
        if shown.params:
            params = " ".join(f"-e {k}={v}" for k, v in shown.params.items())
            parts.append(Part.of(RANK_SETTING, params, droppable=False))
        initial = shown.initial
        if initial:
            parts.append(Part.of(RANK_SETTING, f"initial {initial!r}", droppable=False))
        if self.spec.watch:
            parts.append(Part.of(RANK_KEY, "watch on", droppable=False))
        else:
            parts.append(Part.of(RANK_SETTING, "watch off"))
        if self._watch_note:
            note = Part.of(RANK_KEY, self._watch_note, style="yellow", droppable=False)
            parts.append(note)
        return parts

    def steps_text(self) -> Text:
        """``step 1/2 quake-filter ▸ 2/2 quake-line``, the inspected step marked."""
        count = len(self.spec.steps)
        shown = self.shown_step()
        text = Text("step ")
        for index, step in enumerate(self.spec.steps):
            if index:
                text.append(" ▸ ", "dim")
            name = Path(step.module).name if step.is_path else step.module
            style = "bold reverse" if index == shown else "dim"
            text.append(f"{index + 1}/{count} {name}", style)
        return text

    def shown_step(self) -> int:
        """Index of the step whose output the Output pane shows."""
        return len(self.spec.steps) - 1 if self.step is None else self.step

    def set_watch_note(self, note: str) -> None:
        """Show watch state details (last reload, latency, warnings) in the header."""
        self._watch_note = note
        self._refresh_header()

    def _refresh_titles(self) -> None:
        self.query_one("#input-title", FittedLine).update(self.input_title_parts())
        self.query_one("#output-title", FittedLine).update(self.output_title_parts())
        note = self.window.accumulator_note if self.window is not None else None
        panel = self.query_one("#window-note", Static)
        panel.display = bool(note)
        panel.update(Text(f"Output: {note}" if note else "", "yellow"))

    def input_title(self) -> Text:
        """``Input · topic · N records`` plus tail state or the new-records badge."""
        return join_parts(self.input_title_parts())

    def input_title_parts(self) -> list[Part]:
        """The Input pane's title; the count stays longest when it is narrow."""
        count = self.input_view.line_count()
        noun = "record" if count == 1 else "records"
        parts = [
            Part.of(RANK_LABEL, "Input"),
            Part.of(RANK_KEY, self._make_source_label(), droppable=False),
            Part.of(RANK_COUNT, f"{count:,} {noun}", f"{count:,}", droppable=False),
        ]
        if self.topic_gone:
            gone = Part.of(RANK_KEY, "deleted", style="bold red", droppable=False)
            parts.append(gone)
        elif self.spec.topic is not None:
            if self.tail:
                parts.append(Part.of(RANK_HASH, "tail", style="dim"))
            elif self.new_records:
                badge = f"● {self.new_records:,} new"
                parts.append(Part.of(RANK_KEY, badge, style="bold yellow"))
        return parts

    def _make_source_label(self) -> str:
        return self.spec.topic if self.spec.topic is not None else "scratch"

    def output_title(self) -> Text:
        """``Output · kind`` and the count that matters for the kind."""
        return join_parts(self.output_title_parts())

    def output_title_parts(self) -> list[Part]:
        """The Output pane's title; the count stays longest when it is narrow."""
        kind = self._kind()
        parts = [Part.of(RANK_LABEL, "Output", droppable=kind is not None)]
        if kind is None and self.load_error is not None:
            parts.append(Part.of(RANK_KEY, OUTPUT_NOT_LOADED, style="red"))
        if kind is None:
            return parts
        parts.append(Part.of(RANK_ABI, kind.value))
        if self.step is not None and self.loaded is not None:
            step = f"step {self.step + 1}/{len(self.loaded.modules)}"
            parts.append(Part.of(RANK_SETTING, step, droppable=False))
        count = self._count_text(self._layout_kind() or kind)
        parts.append(Part.of(RANK_COUNT, count, droppable=False))
        if self.hide_dropped:
            parts.append(Part.of(RANK_SETTING, "dropped hidden", "hidden", style="dim"))
        return parts

    def _count_text(self, kind: ModuleKind) -> str:
        if self._setup_failed() is not None:
            return "init failed"
        summary = self.run_summary
        stopped = summary is not None and (summary.error or summary.failure)
        if summary is not None and stopped and self.step is None:
            where = _where_run_stopped(summary, short=True)
            return stopped_count_text(kind, where, summary.records_out)
        if summary is not None and summary.failure is not None:
            return "run failed"
        if summary is not None and not summary.cancelled and self.step is None:
            return count_text(kind, summary.records_out, summary.records_in)
        if self.window is not None and self._window_covers_all():
            return _window_count_text(kind, self.window)
        if self.window is not None and self.step is not None:
            # Runs count only the chain's last output; a step's count is known
            # for the window it was computed for, and says so.
            return f"{_window_count_text(kind, self.window)} · window"
        if self.run_progress is not None:
            done, total = self.run_progress.done, self.run_progress.total
            return f"running {done:,} / {total:,}"
        return "window"

    def _window_covers_all(self) -> bool:
        window = self.window
        if window is None:
            return False
        return window.start == 0 and window.end >= self.input_view.line_count()

    def _record_throughput(self, records: int, seconds: float) -> None:
        if seconds > 0 and records:
            self.throughputs = [*self.throughputs[-29:], records / seconds]
        spark = self.query_one("#spark", Sparkline)
        spark.data = [] if self.services.deterministic else self.throughputs
        self._show_sparkline()

    def _show_sparkline(self) -> None:
        # Below this width the stats line's numbers need the sparkline's room.
        wide = self.size.width >= SPARKLINE_MIN_WIDTH
        spark = self.query_one("#spark", Sparkline)
        spark.display = wide and not self.services.deterministic

    def on_resize(self) -> None:
        self._show_sparkline()

    def _refresh_stats(self) -> None:
        self.query_one("#stats", FittedLine).update(self.stats_parts())

    def stats_text(self) -> Text:
        """Records and bytes in/out, reduction, and (unless hidden) time and rate."""
        return join_parts(self.stats_parts())

    def stats_parts(self) -> list[Part]:
        """The stats line; time, rate and sizes give way before the counts."""
        if self._setup_failed() is not None:
            # Nothing ran with these settings: no figures, old ones would mislead.
            return [Part.of(RANK_KEY, NO_RUN_NOTE, style="bold red", droppable=False)]
        summary = self.run_summary
        source: WindowResult | TopicRunSummary | None = summary or self.window
        if source is None:
            return []
        scope = "topic" if summary is not None else "window"
        records_in, records_out = source.records_in, source.records_out
        size_in, size_out = human_size(source.bytes_in), human_size(source.bytes_out)
        stopped = summary is not None and (summary.error or summary.failure)
        of_total = f" of {self.input_view.line_count():,}" if stopped else ""
        parts = [
            Part.of(
                RANK_COUNT,
                f"{scope}: in {records_in:,}{of_total} rec {size_in}",
                f"{scope}: in {records_in:,}{of_total} rec",
                f"in {records_in:,}{of_total}",
                droppable=False,
            ),
            Part.of(
                RANK_COUNT,
                f"out {records_out:,} rec {size_out}",
                f"out {records_out:,} rec",
                f"out {records_out:,}",
                droppable=False,
            ),
        ]
        if source.bytes_in:
            change = byte_change(source.bytes_in, source.bytes_out)
            parts.append(Part.of(RANK_ABI, f"{change} bytes", change))
        if summary is not None and stopped:
            where = _where_run_stopped(summary)
            short = _where_run_stopped(summary, short=True)
            parts.append(
                Part.of(
                    RANK_KEY,
                    f"stopped: {where}",
                    f"stopped: {short}",
                    style="bold red",
                    droppable=False,
                )
            )
        if not self.services.deterministic and source.seconds > 0:
            rate = rate_text(records_in, source.bytes_in, source.seconds)
            parts.append(Part.of(RANK_SIZE, f"{source.seconds * 1000:,.0f} ms"))
            parts.append(Part.of(RANK_HASH, rate))
        return parts

    # --- reacting to the panes ------------------------------------------------------

    @on(RecordView.Scrolled, "#input")
    def _input_scrolled(self, message: RecordView.Scrolled) -> None:
        # Lined-up panes follow whichever one is in use, at its scroll position
        # now: following each other's messages, two panes resized at once could
        # swap positions and end up apart.
        output = self.output_view
        if output.mode == ALIGNED and not self._output_leads():
            output.scroll_to(y=self.input_view.scroll_offset.y, animate=False)
        self.schedule_window()

    @on(RecordView.CursorMoved, "#input")
    def _input_cursor_moved(self, message: RecordView.CursorMoved) -> None:
        output = self.output_view
        aligned = output.mode == ALIGNED and self.spec.topic is not None
        if aligned and output.cursor != message.index:
            output.cursor = message.index
        if output.mode != ALIGNED and self.spec.topic is not None:
            self.schedule_window()
        last = self.input_view.line_count() - 1
        moved_away = message.by_user and message.index < last
        if moved_away and self.spec.topic is not None and self.tail:
            self.tail = False
        if message.index == last and not self.tail and self.new_records:
            self.new_records = 0
            self._refresh_titles()

    @on(RecordView.Scrolled, "#output")
    def _output_scrolled(self, message: RecordView.Scrolled) -> None:
        output = self.output_view
        if output.mode != ALIGNED or not self._output_leads():
            return
        top = output.scroll_offset.y
        if self.spec.topic is None:
            self.scratch_editor.scroll_to(y=top, animate=False)
        else:
            self.input_view.scroll_to(y=top, animate=False)

    @on(ScratchEditor.Scrolled)
    def _editor_scrolled(self, message: ScratchEditor.Scrolled) -> None:
        message.stop()
        output = self.output_view
        if output.mode == ALIGNED and not self._output_leads():
            output.scroll_to(y=self.scratch_editor.scroll_offset.y, animate=False)

    @on(TextArea.Changed, "#scratch")
    def _scratch_changed(self, event: TextArea.Changed) -> None:
        self.spec.scratch_text = event.text_area.text
        self.input_view.set_source(self._make_source())
        self._align_output_with_input()
        self._refresh_titles()
        self.schedule_window(SCRATCH_DEBOUNCE)
        self.post_message(BenchChanged())

    def show_appended(self) -> None:
        """Show records just appended to the topic (by this app or another)."""
        self._poll_topic()

    def _start_polling(self) -> None:
        self._stop_polling()
        if self.services.poll_topics:
            self._poll_timer = self.set_interval(TAIL_INTERVAL, self._poll_topic)

    def _stop_polling(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None

    def _poll_topic(self) -> None:
        topic = self.spec.topic
        if topic is None:
            return
        if self.topic_gone:
            # One cheap look per poll: a topic of that name may be created again.
            if self.services.broker.topic_exists(topic):
                self._topic_came_back(topic)
            return
        try:
            identity = self.services.broker.topic_identity(topic)
            count = self.input_view.source.count()
        except NotFoundError:
            # Deleted under us (another process, or the palette): said once, and
            # its old records leave the panes.
            self._topic_went_away(topic)
            return
        except Exception:
            log.exception("polling %s", topic)
            return
        known = self._topic_identity
        replaced = known is not None and identity != known
        if replaced or count < self.input_view.line_count():
            # Deleted and created again between two looks: its rows are others.
            self._topic_came_back(topic)
            return
        self._topic_identity = identity
        added = self.input_view.grow(count)
        if not added:
            return
        if self.tail:
            self.input_view.move_to(self.input_view.line_count() - 1)
        else:
            self.new_records += added
        self.output_view.input_count = self.input_view.line_count()
        self.output_view.refresh_lines_count()
        self._refresh_titles()
        self.schedule_window()
        # Counts follow the topic: the last complete run goes on over what came.
        self._resume_topic_run()
        self.post_message(TopicGrew(topic, self.input_view.line_count()))

    def _remember_topic_identity(self) -> None:
        topic = self.spec.topic
        self._topic_identity = None
        if topic is not None:
            with suppress(NotFoundError):
                self._topic_identity = self.services.broker.topic_identity(topic)

    def _topic_went_away(self, topic: str) -> None:
        self.topic_gone = True
        self.new_records = 0
        self.input_view.set_source(self._make_source())
        self._align_output_with_input()
        self.reset_results()
        self.notify(
            _topic_gone_note(topic),
            title=self.spec.title,
            severity="warning",
            timeout=10,
        )

    def _topic_came_back(self, topic: str) -> None:
        self.notify(
            f"topic {topic} was created again; reading it from offset 0",
            title=self.spec.title,
        )
        self.set_input(topic)

    def watch_tail(self, tail: bool) -> None:
        if tail:
            self.new_records = 0
        if self.is_mounted:
            self._refresh_titles()

    # --- actions --------------------------------------------------------------------

    def action_toggle_tail(self) -> None:
        """Follow new records, or stop following them."""
        self.tail = not self.tail
        if self.tail:
            self._poll_topic()
            self.input_view.move_to(self.input_view.line_count() - 1)

    def action_toggle_dropped(self) -> None:
        """Hide or show the records a filter dropped."""
        if self._kind() not in (ModuleKind.FILTER, ModuleKind.FILTER_MAP):
            self.notify("only filters drop records", severity="warning")
            return
        self.hide_dropped = not self.hide_dropped
        if self.hide_dropped:
            self._show_run_output()
        else:
            self.output_view.show_window(
                self.window, self.input_view.line_count(), self._layout_kind()
            )
        self._refresh_titles()

    def _show_run_output(self) -> None:
        summary = self.run_summary
        if self.spec.topic is None and self.window is not None:
            self._show_window_kept(self.window)
            return
        if summary is None or summary.output_topic is None:
            if self._topic_busy:
                # The run in flight shows its output when it ends; until then
                # the window's kept records stand in.
                if self.window is not None:
                    self._show_window_kept(self.window)
            else:
                self._start_topic_run()
            return
        source = TopicSource(self.services.broker, summary.output_topic)
        self.output_view.show_stream(source, summary.source_offsets)

    def _show_window_kept(self, window: WindowResult) -> None:
        kept = [
            record
            for index in sorted(window.outputs)
            for record in window.outputs[index]
        ]
        offsets = array(
            "q",
            [
                window.rows[index].offset
                for index in sorted(window.outputs)
                for _ in window.outputs[index]
            ],
        )
        pairs = zip(offsets, kept, strict=True)
        rows = [InputRow(o, 0, r.key, r.value) for o, r in pairs]
        self.output_view.show_stream(_ListSource(rows), offsets)

    def action_toggle_log(self) -> None:
        """Show or hide what the module wrote to stdout and stderr."""
        panel = self.query_one("#log-panel", RichLog)
        panel.display = not panel.display

    def action_toggle_scratch(self) -> None:
        """Type input by hand: switch to the scratch editor (t goes back)."""
        if self.spec.topic is None:
            self.scratch_editor.focus()
            return
        self.set_input(None, into_editor=True)

    def set_input(self, topic: str | None, into_editor: bool = False) -> None:
        """Use ``topic`` (None: scratch) as the input and recompute.

        The focus stays where it was unless it sat on the pane being hidden; it
        enters the scratch editor only when ``into_editor`` asks for that.
        """
        self._last_topic = self.spec.topic
        self.spec.topic = topic
        self.topic_gone = False
        self._remember_topic_identity()
        scratch = self.scratch_editor
        hidden = self.input_view if topic is None else scratch
        was_focused = self._last_focused is hidden or hidden.has_focus
        scratch.display = topic is None
        self.input_view.display = topic is not None
        self.input_view.set_source(self._make_source())
        self._align_output_with_input()
        if topic is None and into_editor:
            scratch.focus()
        elif was_focused:
            target = self.output_view if topic is None else self.input_view
            target.focus()
        self.new_records = 0
        self.tail = True
        self._start_polling()
        self.reset_results()
        self.post_message(BenchChanged())

    def action_switch_pane(self) -> None:
        """Move focus between the Input and Output panes."""
        if self.output_view.has_focus:
            target = self.input_view if self.spec.topic else self.scratch_editor
            target.focus()
        else:
            self.output_view.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The step keys are in the footer only when there are steps to pick.
        if action == "step":
            return self.loaded is not None and len(self.loaded.modules) > 1
        return True

    def action_step(self, delta: int) -> None:
        """Inspect the output after another step of the chain."""
        if self.loaded is None or len(self.loaded.modules) < 2:
            self.notify("only a chain has steps to inspect", severity="warning")
            return
        last = len(self.loaded.modules) - 1
        current = last if self.step is None else self.step
        self.show_step(max(0, min(last, current + delta)))

    def show_step(self, index: int) -> None:
        """Show the output after step ``index`` (0-based) of the chain."""
        last = len(self.spec.steps) - 1
        self.step = None if index >= last else index
        self.window = None
        self.output_view.show_window(
            None, self.input_view.line_count(), self._layout_kind()
        )
        self.schedule_window(0)
        self._refresh_titles()
        self._refresh_header()

    def action_edit_params(self) -> None:
        """Open the params form for this bench."""
        self.app.action_edit_params()  # type: ignore[attr-defined]

    def action_produce(self) -> None:
        """Open the produce form for this bench's topic."""
        self.app.action_produce()  # type: ignore[attr-defined]

    # --- search ---------------------------------------------------------------------

    def action_search(self) -> None:
        """Search the focused pane (Input unless the Output pane has focus)."""
        self._search_target = (
            self.output_view if self.output_view.has_focus else self.input_view
        )
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        query = event.value.strip()
        if not query:
            return
        target: RecordView = getattr(self, "_search_target", self.input_view)
        for view in (self.input_view, self.output_view):
            view.highlight = query
            view.invalidate()
        if target is self.input_view and self.spec.topic is not None:
            self._search_input(query, self.input_view.cursor + 1)
            return
        if target is self.output_view and self._search_run_output(query):
            return
        if target is self.output_view and self.output_view.mode != STREAM:
            self._search_window(query)
            return
        self._search_lines(target, query)

    def _search_run_output(self, query: str) -> bool:
        """Search the whole-topic run's output topic; False when there is none.

        Only the window's rows have output in memory; the run's output holds every
        record's, so a hit anywhere in the topic is found and shown beside its input.
        """
        summary = self.run_summary
        if summary is None or summary.output_topic is None or self.step is not None:
            return False
        row = self.input_view.row(self.output_view.cursor)
        after = row.offset if row is not None else -1
        stopped = summary.cancelled or summary.error or summary.failure
        if stopped:
            where = f"in the output of the first {summary.records_in:,} records"
        else:
            where = "in the output of the whole topic"
        offsets = array("q", summary.source_offsets)
        self._output_search = self._search_output_topic(
            query, summary.output_topic, offsets, after, where
        )
        return True

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search_output_topic(
        self, query: str, topic: str, offsets: array[int], after: int, where: str
    ) -> None:
        worker = get_current_worker()
        needle = query.casefold().encode()
        found: int | None = None
        try:
            source = TopicSource(self.services.broker, topic)
            total = min(source.count(), len(offsets))
            # From the record after the cursor's to the end, then from the top.
            start = bisect_right(offsets, after, 0, total)
            for first, stop in ((start, total), (0, start)):
                found = self._first_match(source, needle, first, stop, worker)
                if found is not None or worker.is_cancelled:
                    break
        except SmartbenchError:
            found = None
        if worker.is_cancelled:
            # Superseded by another search, or its topic was dropped (and said so).
            return
        if found is not None:
            found = offsets[found]
        self.post_message(SearchFound(query, found, in_output=True, where=where))

    @staticmethod
    def _first_match(
        source: InputSource, needle: bytes, start: int, stop: int, worker: Worker[None]
    ) -> int | None:
        """The first position in ``start``…``stop`` whose value or key holds
        ``needle`` (lowercase), read a thousand rows at a time."""
        position = start
        while position < stop and not worker.is_cancelled:
            rows = source.rows(position, min(1000, stop - position))
            if not rows:
                break
            for index, row in enumerate(rows):
                if needle in row.value.lower() + (row.key or b"").lower():
                    return position + index
            position += len(rows)
        return None

    def _search_window(self, query: str) -> None:
        """Search the output computed for the window, and say that was all."""
        view = self.output_view
        window = self.window
        if self.spec.topic is None or window is None or view.mode != ALIGNED:
            self._search_lines(view, query)
            return
        needle = query.casefold()
        size = window.end - window.start
        for step in range(1, size + 1):
            index = window.start + (view.cursor - window.start + step) % size
            if needle in view.render_row(index).plain.casefold():
                view.move_to(index)
                return
        first = window.rows[0].offset if window.rows else 0
        last = window.rows[-1].offset if window.rows else 0
        if self.step is not None:
            hint = "only a window's output of a chain step is computed"
        elif self.run_progress is not None:
            hint = "search again when the whole-topic run ends"
        else:
            hint = "r runs the whole topic"
        self.notify(
            f"no match for {query!r} in the output of offsets {first}–{last}; {hint}",
            severity="warning",
        )

    def _search_lines(self, view: RecordView, query: str) -> None:
        needle = query.casefold()
        count = view.line_count()
        for step in range(1, count + 1):
            index = (view.cursor + step) % count
            if needle in view.render_row(index).plain.casefold():
                view.move_to(index)
                return
        self.notify(f"no match for {query!r}", severity="warning")

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search_input(self, query: str, start: int) -> None:
        worker = get_current_worker()
        source = self._make_source()
        needle = query.casefold().encode()
        found = self._first_match(source, needle, start, source.count(), worker)
        self.post_message(SearchFound(query, found))

    @on(SearchFound)
    def _search_found(self, message: SearchFound) -> None:
        message.stop()
        if message.index is None:
            words = "no match" if message.in_output else "no more matches"
            where = f" {message.where}" if message.where else ""
            self.notify(f"{words} for {message.query!r}{where}", severity="warning")
            return
        self.tail = False
        if not message.in_output:
            self.input_view.move_to(message.index)
            return
        row = self.input_row_index(message.index)
        if row is None:
            self.notify(f"offset {message.index} is no longer in the topic")
            return
        # Both cursors: the Output pane shows the hit and the Input its record.
        self.input_view.move_to(row)
        self.output_view.move_to(row)


def _topic_gone_note(topic: str | None) -> str:
    return f"topic {topic} no longer exists; press t to pick another"


class _ListSource:
    """Rows already in memory as an input source (scratch filter output, none)."""

    def __init__(self, rows: list[InputRow], label: str = "output") -> None:
        self._rows = rows
        self._label = label

    @property
    def label(self) -> str:
        return self._label

    def count(self) -> int:
        return len(self._rows)

    def rows(self, start: int, count: int) -> list[InputRow]:
        return self._rows[start : start + count]


_COUNT_NOUNS = {
    ModuleKind.FILTER: "kept",
    ModuleKind.FILTER_MAP: "out",
    ModuleKind.ARRAY_MAP: "children",
}


def count_text(kind: ModuleKind, records_out: int, records_in: int) -> str:
    """``85 kept / 1,707`` for the kinds that drop or multiply, else the output."""
    noun = _COUNT_NOUNS.get(kind)
    if noun is None:
        return f"{records_out:,} records"
    return f"{records_out:,} {noun} / {records_in:,}"


def stopped_count_text(kind: ModuleKind, where: str, records_out: int) -> str:
    """A run that stopped early: the output of the records before, and where.

    Short, to fit a pane title; the stats line says how many records ran.
    """
    noun = _COUNT_NOUNS.get(kind, "records")
    return f"{records_out:,} {noun} · {where}"


def _where_run_stopped(summary: TopicRunSummary, short: bool = False) -> str:
    offsets = "" if short else "offsets "
    if summary.error is not None:
        offset = "" if short else "offset "
        return f"error at {offset}{summary.error.offset:,}"
    if summary.failed_offsets is not None:
        first, last = summary.failed_offsets
        return f"failed at {offsets}{first:,}–{last:,}"
    return "failed"


def _window_count_text(kind: ModuleKind, window: WindowResult) -> str:
    records_out = sum(len(o) for o in window.outputs.values())
    records_out = records_out or len(window.stream)
    if window.failure is not None and window.rows:
        first, last = window.rows[0].offset, window.rows[-1].offset
        return stopped_count_text(kind, f"failed at {first:,}–{last:,}", 0)
    index = window.error_index
    if index is not None and 0 <= index < len(window.rows):
        where = f"error at {window.rows[index].offset:,}"
        return stopped_count_text(kind, where, records_out)
    return count_text(kind, records_out, window.records_in)


def _is_setup_error(error: SmartbenchError) -> bool:
    """True when building the chain (``init`` or ``look_back``) failed."""
    from workbench.engine.chain import ChainSetupError

    return isinstance(error, ChainSetupError)


def now() -> float:
    """Monotonic seconds, for latency figures."""
    return time.monotonic()


RATE_MIN_RECORDS = 100
"""Fewer records than this make a records-per-second figure noise."""


def rate_text(records: int, size: int, seconds: float) -> str:
    """Throughput: ``3,414 rec/s``, or ``10.4 MB/s`` for a few (big) records."""
    if records < RATE_MIN_RECORDS:
        return f"{human_size(round(size / seconds))}/s"
    rate = records / seconds
    return f"{rate:,.1f} rec/s" if rate < 10 else f"{rate:,.0f} rec/s"


def byte_change(bytes_in: int, bytes_out: int) -> str:
    """How much output differs from input in size, e.g. ``−95%``, ``+7%``, ``>−99%``."""
    change = 100 * (bytes_out / bytes_in - 1)
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    magnitude = f"{abs(change):.0f}"
    # Some output left must not read as all of it gone.
    if bytes_out and magnitude == "100" and change < 0:
        return ">−99%"
    return f"{sign}{magnitude}%"
