"""The `smartbench` Textual app: sidebar, one tab per bench, palette, dialogs.

Workers never touch widgets; they post messages and the handlers here (and on each
bench) own all state. Blocking work — SQLite scans, wasm compiles and runs, file
writes — happens in thread workers.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.events import DescendantFocus
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Header,
    Input,
    Static,
    TabbedContent,
    TabPane,
    Tabs,
    TextArea,
)

from workbench.bench import (
    BenchServices,
    BenchSpec,
    StepSpec,
    TopicRunSummary,
    WindowResult,
    check_module_file,
    is_run_topic,
    orphaned_run_topics,
    parse_params,
    watched_path,
)
from workbench.commands import Command, app_commands
from workbench.engine.broker import NAME_CHARACTERS, NAME_LIMIT, name_problem
from workbench.engine.types import Limits
from workbench.errors import NotFoundError, SmartbenchError, UsageError
from workbench.screens import (
    ConfirmScreen,
    Field,
    FormScreen,
    HelpScreen,
    RecordDetailScreen,
    TextScreen,
)
from workbench.session import Session, load_session, save_session
from workbench.widgets.bench_view import BenchView
from workbench.widgets.key_footer import KeyFooter, KeyPair
from workbench.widgets.messages import BenchChanged, StepsChanged, TopicGrew
from workbench.widgets.output_view import OutputView
from workbench.widgets.record_view import InputView, RecordView
from workbench.widgets.sidebar import Sidebar, SidebarItem

if TYPE_CHECKING:
    from textual.await_complete import AwaitComplete

    from workbench.engine.broker import Broker
    from workbench.engine.watch import BuildConfig
    from workbench.workspace import Workspace

log = logging.getLogger(__name__)

APP_GROUP = "app"
DEFAULT_MODULE = "quake-filter"
DEFAULT_TOPIC = "earthquakes"
COUNT_INTERVAL = 1.0
"""Seconds between checks of the sidebar's topic record counts."""
THEMES = ("textual-dark", "textual-light")
FOOTER_PRIORITY = (
    "quit",
    "help",
    "run_topic",
    "edit_params",
    "switch_topic",
    "toggle_scratch",
    "leave",
    "step",
    "open_module",
    "next_bench",
    "previous_bench",
    "promote",
    "toggle_sidebar",
)
"""The footer's keys from the most to the least useful; narrow ones drop the last."""
BENCH_SWITCH_ACTIONS = ("next_bench", "previous_bench")
BENCH_ACTIONS = (
    "switch_topic",
    "promote",
    "toggle_watch",
    "export",
    "abi_version",
    "close_bench",
)
"""App keys that act on the selected bench, so do nothing while none is open."""
BENCH_SWITCH_KEYS = (
    # One footer key for both directions: two would not fit where it matters.
    KeyPair("previous_bench", "next_bench", "^pgup/dn", "Benches"),
)


@dataclass(frozen=True)
class AppConfig:
    """How the app behaves beyond the session."""

    deterministic: bool = False
    """Tests: no cursor blink, no tail polling, no clock, no timing figures."""
    watch_enabled: bool = True
    """Start watchers for benches with watch on."""
    poll_topics: bool = True
    """Follow records other processes append to the benches' topics."""
    limits: Limits = field(default_factory=Limits)
    """Memory and time budgets of every run."""


@dataclass(frozen=True)
class WorkspaceScan:
    """Topics and modules of the workspace, read in a worker."""

    topics: list[tuple[str, int]]
    modules: list[tuple[str, str]]


class WorkspaceScanned(Message):
    """The sidebar data is ready."""

    def __init__(self, scan: WorkspaceScan) -> None:
        super().__init__()
        self.scan = scan


class TopicsCounted(Message):
    """Fresh record counts of the workspace's topics, for the sidebar."""

    def __init__(self, topics: list[tuple[str, int]]) -> None:
        super().__init__()
        self.topics = topics


class TaskFinished(Message):
    """A background task (promote, export, produce) ended with a note or an error."""

    def __init__(
        self, note: str | None, error: str | None, then: Callable[[], None] | None
    ) -> None:
        super().__init__()
        self.note = note
        self.error = error
        self.then = then


class CommandOutput(Message):
    """A registry command run from the palette printed this."""

    def __init__(self, title: str, output: str) -> None:
        super().__init__()
        self.title = title
        self.output = output


class PaletteCommands(Provider):
    """Palette entries: the registry's commands that make sense in the app."""

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in app_commands():
            label = command_title(command)
            # The shell's words find it too: `topic create` as well as its title.
            words = " ".join(w for w in command.path if w != APP_GROUP)
            score = max(matcher.match(label), matcher.match(words))
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(label),
                    _opener(self.app, command),
                    help=command.summary,
                )

    async def discover(self) -> Hits:
        for command in app_commands():
            yield DiscoveryHit(
                command_title(command),
                _opener(self.app, command),
                help=command.summary,
            )


class BenchCommands(Provider):
    """Palette entries that move between the open benches or close one."""

    def _entries(self) -> list[tuple[str, Callable[[], None], str]]:
        app = self.app
        if not isinstance(app, SmartbenchApp):
            return []
        entries: list[tuple[str, Callable[[], None], str]] = [
            ("Next bench", app.action_next_bench, "select the tab to the right"),
            ("Previous bench", app.action_previous_bench, "select the tab to the left"),
            ("Close bench", app.action_close_bench, "close the selected bench"),
        ]
        for number, bench in enumerate(app.benches(), start=1):
            title = f"Go to bench {number}: {bench.spec.title}"
            entries.append((title, _selector(app, bench), bench.describe_input()))
        return entries

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, callback, help_text in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)

    async def discover(self) -> Hits:
        for label, callback, help_text in self._entries():
            yield DiscoveryHit(label, callback, help=help_text)


class BenchPane(TabPane):
    """The tab pane of one bench."""

    @on(TabPane.Focused)
    def _focused_while_hidden(self, message: TabPane.Focused) -> None:
        if self.display:
            return
        # A focus asked for as a bench mounted can land after another bench was
        # selected: it must not bring this pane back, and the shown bench keeps it.
        message.stop()
        app = self.app
        shown = app.bench if isinstance(app, SmartbenchApp) else None
        if shown is not None and shown.is_mounted:
            shown.restore_focus()


def _selector(app: SmartbenchApp, bench: BenchView) -> Callable[[], None]:
    def select() -> None:
        app.select_bench(bench)

    return select


FORM_TITLES: dict[tuple[str, ...], str] = {
    ("app", "open"): "Open a module",
    ("app", "topic"): "Input topic",
    ("app", "run"): "Run the whole topic",
    ("app", "params"): "Params and initial value",
    ("app", "promote"): "Promote to a registered module",
    ("app", "watch"): "Watch the module file",
    ("app", "export"): "Export the run's output",
    ("app", "produce"): "Produce a record",
    ("app", "theme"): "Theme",
    ("app", "abi"): "ABI version",
}
"""Titles that read better than the command's words."""

PROPER_WORDS = {"abi": "ABI", "smartmodule": "SmartModule", "json": "JSON"}
PLURAL_VERBS = ("list", "delete")
"""Verbs whose CLI command takes or shows several things."""


def command_title(command: Command) -> str:
    """How a palette entry and its form's title name ``command``."""
    title = FORM_TITLES.get(command.path)
    if title is not None:
        return title
    words = [PROPER_WORDS.get(w, w) for w in command.path if w != APP_GROUP]
    if len(words) == 2 and command.path[0] != APP_GROUP:
        # `topic create` reads as "Create topic"; `topic list` as "List topics".
        noun, verb = words
        words = [verb, noun + ("s" if verb in PLURAL_VERBS else "")]
    text = " ".join(words).replace("-", " ")
    return text[:1].upper() + text[1:]


def _opener(app: App[Any], command: Command) -> Callable[[], None]:
    def open_form() -> None:
        if isinstance(app, SmartbenchApp):
            app.open_command_form(command)

    return open_form


class SmartbenchApp(App[int]):
    """Benches of SmartModules beside their input, on one workspace."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "smartbench"
    COMMANDS: ClassVar[set[Any]] = {*App.COMMANDS, PaletteCommands, BenchCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
        Binding("f1", "help", "Help", id="help"),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="sidebar"),
        Binding("o", "open_module", "Open", id="open"),
        Binding("t", "switch_topic", "Topic", id="topic"),
        Binding("P", "promote", "Promote", id="promote"),
        Binding("w", "toggle_watch", "Watch", show=False, id="watch"),
        Binding("x", "export", "Export", show=False, id="export"),
        Binding("a", "abi_version", "ABI", show=False, id="abi"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, id="theme"),
        Binding("ctrl+w", "close_bench", "Close", show=False, id="close"),
        # Ctrl+PageUp/PageDown reach the app through xterm and tmux alike (and
        # outrank the panes' sideways paging); < and > are for terminals that keep
        # those keys to themselves, and type as themselves in text fields.
        Binding("ctrl+pagedown", "next_bench", "Next bench", priority=True),
        Binding("ctrl+pageup", "previous_bench", "Prev bench", priority=True),
        Binding("greater_than_sign", "next_bench", "Next bench", id="next-bench"),
        Binding("less_than_sign", "previous_bench", "Prev bench", id="prev-bench"),
    ]

    def __init__(
        self,
        workspace: Path,
        broker: Broker,
        config: AppConfig | None = None,
        session: Session | None = None,
        start_command: argparse.Namespace | None = None,
        load_samples: bool = False,
    ) -> None:
        super().__init__()
        self.config = config or AppConfig()
        self.services = BenchServices(
            workspace,
            broker,
            deterministic=self.config.deterministic,
            limits=self.config.limits,
            poll_topics=self.config.poll_topics,
        )
        self.session = session if session is not None else load_session(workspace)
        self.start_command = start_command
        self.load_samples = load_samples
        self.scan = WorkspaceScan([], [])
        self._bench_number = 0
        self._scanned_once = False
        self._started_up = False
        """True once start-up has opened its benches; the session is saved after."""
        self._pane_mounts: list[AwaitComplete] = []
        """Benches start-up opened, still mounting."""
        self._last_transforms_file: str | None = None

    # --- layout and start-up --------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Textual's own theme picker offers every built-in theme; the palette's
        # Theme entry switches between the two the workbench is drawn for.
        for command in super().get_system_commands(screen):
            if command.title != "Theme":
                yield command

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with Horizontal(id="main"):
            yield Sidebar(id="sidebar")
            # The saved benches are composed rather than added: a tab added to an
            # empty TabbedContent selects itself later, over the saved selection.
            saved = self._saved_panes()
            initial = saved[self._saved_index()].id or "" if saved else ""
            with TabbedContent(id="benches", initial=initial):
                yield from saved
        yield Static("Opening the workspace…", id="empty")
        yield KeyFooter(self._footer_priority, self._footer_skips, BENCH_SWITCH_KEYS)

    def on_mount(self) -> None:
        self.theme = self.session.theme if self.session.theme in THEMES else THEMES[0]
        self.sub_title = (
            "" if self.config.deterministic else str(self.services.workspace)
        )
        if self.size.width < 120:
            self.query_one("#sidebar").display = False
        for bench in self.benches():
            if bench.spec.watch:
                self._start_watch(bench)
        self._update_empty()
        self._scan_workspace()
        if self.config.poll_topics:
            self.set_interval(COUNT_INTERVAL, self._count_topics)

    def _saved_index(self) -> int:
        return min(max(self.session.active, 0), len(self.session.benches) - 1)

    def _saved_panes(self) -> list[BenchPane]:
        # The bench the last session ended on picks up where typing left off.
        chosen = self._saved_index()
        return [
            _pane_of(self._new_bench(spec, prefer_editor=index == chosen))
            for index, spec in enumerate(self.session.benches)
        ]

    def rescan(self) -> None:
        """Read topics and modules again for the sidebar."""
        self._scan_workspace()

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def _scan_workspace(self) -> None:
        broker = self.services.broker
        if self.load_samples and not self._scanned_once:
            from workbench.workspace import Workspace

            Workspace(self.services.workspace, broker).ensure_samples()
        if not self._scanned_once:
            _drop_orphaned_run_topics(broker)
        topics = _listed_topics(broker)
        registry = self.services.open_registry()
        try:
            modules = [(m.name, m.kind) for m in registry.list()]
        finally:
            registry.close()
        self.post_message(WorkspaceScanned(WorkspaceScan(topics, modules)))

    @on(TopicGrew)
    def _topic_grew(self) -> None:
        self._count_topics()

    @work(thread=True, exclusive=True, group="count", exit_on_error=False)
    def _count_topics(self) -> None:
        # Topics grow from other processes too: counts follow without a rescan.
        try:
            topics = _listed_topics(self.services.broker)
        except Exception:
            log.exception("counting topic records")
            return
        self.post_message(TopicsCounted(topics))

    @on(TopicsCounted)
    def _topics_counted(self, message: TopicsCounted) -> None:
        sidebar = self._sidebar()
        if not self._scanned_once or sidebar is None:
            return
        if sidebar.update_counts(message.topics):
            self.scan = WorkspaceScan(message.topics, self.scan.modules)
        else:
            self._scan_workspace()

    def _sidebar(self) -> Sidebar | None:
        # The main screen's, also while a dialog is on top; None while closing.
        try:
            return self.screen_stack[0].query_one(Sidebar)
        except (NoMatches, IndexError):
            return None

    @on(WorkspaceScanned)
    async def _workspace_scanned(self, message: WorkspaceScanned) -> None:
        self.scan = message.scan
        sidebar = self._sidebar()
        if sidebar is not None:
            sidebar.fill(self.scan.topics, self.scan.modules, self.session.opened_paths)
        if self._scanned_once:
            return
        self._scanned_once = True
        self.query_one("#empty", Static).update(
            "No bench open. Press o to open a module, Ctrl+P for every command."
        )
        await self._start_up()

    async def _start_up(self) -> None:
        # A command that opens a bench replaces the first run's sample bench; any
        # other command applies to the bench start-up shows, once it is mounted.
        first_run = not self.session.existed and not self.session.benches
        args = self.start_command
        if args is not None and _opens_a_bench(args):
            opened = self._apply_start_command(args)
            if first_run and not opened:
                self._open_first_run_bench()
        else:
            if first_run:
                self._open_first_run_bench()
            if args is not None:
                await self._panes_mounted()
                self._apply_start_command(args)
        tabs = self.query_one("#benches", TabbedContent)
        shown_pane = tabs.active
        await self._panes_mounted()
        self._show_pane(shown_pane)
        self._started_up = True
        self.save()

    def _show_pane(self, pane_id: str) -> None:
        tabs = self.query_one("#benches", TabbedContent)
        if pane_id and tabs.query(f"#{pane_id}"):
            tabs.active = pane_id

    async def _panes_mounted(self) -> None:
        mounts, self._pane_mounts = self._pane_mounts, []
        for mount in mounts:
            await mount

    def _open_first_run_bench(self) -> None:
        names = {name for name, _ in self.scan.modules}
        topics = {name for name, _ in self.scan.topics}
        if DEFAULT_MODULE in names and DEFAULT_TOPIC in topics:
            spec = BenchSpec([StepSpec(DEFAULT_MODULE)], topic=DEFAULT_TOPIC)
            self.add_bench(spec)

    def _apply_start_command(self, args: argparse.Namespace) -> bool:
        """Carry out the shell's command; True when it opened or chose a bench."""
        # Counted as created: a bench just added is not in the DOM until it mounts.
        created_before = self._bench_number
        command = getattr(args, "command", None)
        if command is None and _start_chain_given(args):
            return self._open_start_chain(args)
        if command is None:
            path = getattr(args, "path", None)
            topic = getattr(args, "topic", None) or ""
            if path and self._select_bench_on_path(path, topic):
                return True
            if path:
                # A file is watched as it is rebuilt; a registered name runs the
                # bytes it was registered with.
                watch = "yes" if StepSpec(path).is_path else "no"
                values = {"module": path, "topic": topic, "watch": watch}
                self.apply_command("open", values)
            elif topic and self.bench is not None:
                self.apply_command("topic", {"topic": topic})
            return self._bench_number > created_before
        values = {
            key: _as_text(value)
            for key, value in vars(args).items()
            if key not in ("command", "workspace")
        }
        self.apply_command(command.path[-1], values)
        return self._bench_number > created_before

    def _select_bench_on_path(self, path: str, topic: str) -> bool:
        # Reopening a file that a saved bench already runs goes back to that bench
        # (with watch on, as the shell asked) instead of adding a twin.
        if not StepSpec(path).is_path:
            return False
        module = str(Path(path).expanduser().resolve())
        for bench in self.benches():
            spec = bench.spec
            same_steps = [step.module for step in spec.steps] == [module]
            if same_steps and (not topic or spec.topic == topic):
                self.select_bench(bench)
                if not spec.watch:
                    self.set_watch(bench, True)
                return True
        return False

    # --- benches --------------------------------------------------------------------

    def add_bench(self, spec: BenchSpec, activate: bool = True) -> BenchView:
        """Open a bench in a new tab."""
        # A scratch bench opened now is for typing; one restored from the session
        # or reached later by switching tabs is not.
        bench = self._new_bench(spec, prefer_editor=activate and spec.topic is None)
        tabs = self.query_one("#benches", TabbedContent)
        mounting = tabs.add_pane(_pane_of(bench))
        if not self._started_up:
            self._pane_mounts.append(mounting)
        if activate:
            tabs.active = _pane_id(bench)
        self._update_empty()
        self.call_after_refresh(self.save)
        return bench

    def _new_bench(self, spec: BenchSpec, prefer_editor: bool) -> BenchView:
        self._bench_number += 1
        self._read_scratch_if_topic_is_gone(spec)
        bench_id = f"bench-{self._bench_number}"
        return BenchView(spec, self.services, bench_id, prefer_editor)

    def _read_scratch_if_topic_is_gone(self, spec: BenchSpec) -> None:
        # A saved session can name a topic deleted since; the bench still opens,
        # on scratch input, so its module and params are not lost.
        topic = spec.topic
        if topic is None or self.services.broker.topic_exists(topic):
            return
        spec.topic = None
        self.notify(
            f"topic {topic} no longer exists; this bench reads scratch input "
            "(press t to pick a topic)",
            title=spec.title,
            severity="warning",
            timeout=10,
        )

    def benches(self) -> list[BenchView]:
        """Open benches in tab order."""
        return list(self.query(BenchView))

    @property
    def bench(self) -> BenchView | None:
        """The bench of the selected tab."""
        tabs = self.query_one("#benches", TabbedContent)
        pane = tabs.active_pane
        if pane is None:
            return None
        found = pane.query(BenchView)
        return found.first() if found else None

    def _update_empty(self) -> None:
        has_benches = bool(self.query(TabPane))
        self.query_one("#empty").display = not has_benches
        self.query_one("#benches").display = has_benches

    def _footer_skips(self, action: str) -> bool:
        open_benches = len(self.query(TabPane))
        if action in BENCH_ACTIONS and not open_benches:
            return True
        if action == "promote":
            return not self._promote_applies()
        # Keys between benches earn their footer room once there are two.
        return action in BENCH_SWITCH_ACTIONS and open_benches < 2

    def _promote_applies(self) -> bool:
        """True when the selected bench runs a module opened from a file, or a
        registered one whose watch follows its source (promoting that again)."""
        try:
            bench = self.bench
        except NoMatches:
            return False
        if bench is None:
            return False
        return bench.spec.steps[0].is_path or bench.watched_source() is not None

    def _footer_priority(self) -> tuple[str, ...]:
        try:
            bench = self.bench
        except NoMatches:
            bench = None
        if bench is None or not self._promote_applies():
            return FOOTER_PRIORITY
        # A module opened from a file (or a source followed past its registered
        # copy) is what promoting is for: P outranks keys that bench needs less.
        others = [action for action in FOOTER_PRIORITY if action != "promote"]
        place = others.index("edit_params") + 1
        return (*others[:place], "promote", *others[place:])

    def select_bench(self, bench: BenchView) -> None:
        """Make ``bench``'s tab the selected one (it may not be mounted yet)."""
        self.query_one("#benches", TabbedContent).active = _pane_id(bench)

    def action_next_bench(self) -> None:
        """Select the bench to the right (the first after the last)."""
        self._select_relative(1)

    def action_previous_bench(self) -> None:
        """Select the bench to the left (the last before the first)."""
        self._select_relative(-1)

    def _select_relative(self, delta: int) -> None:
        if len(self.screen_stack) > 1:
            return  # a dialog is open over the benches
        benches = self.benches()
        current = self.bench
        if len(benches) < 2 or current is None:
            self.notify("only one bench is open; o opens another", timeout=3)
            return
        index = benches.index(current)
        self.select_bench(benches[(index + delta) % len(benches)])

    def action_close_bench(self) -> None:
        """Close the selected bench (its temporary run topic goes with it)."""
        bench = self.bench
        if bench is None:
            return
        bench.close()
        tabs = self.query_one("#benches", TabbedContent)
        pane = tabs.active_pane
        if pane is not None and pane.id:
            tabs.remove_pane(pane.id)
        self._forget_paths_of(bench)
        self.call_after_refresh(self._after_close)

    def _forget_paths_of(self, closed: BenchView) -> None:
        # The sidebar lists module files some bench opened; once none runs one,
        # it goes (a file that failed to load would otherwise stay for good).
        in_use = {
            step.module
            for bench in self.benches()
            if bench is not closed
            for step in bench.spec.steps
        }
        kept = [path for path in self.session.opened_paths if path in in_use]
        if kept == self.session.opened_paths:
            return
        self.session.opened_paths = kept
        sidebar = self._sidebar()
        if sidebar is not None:
            sidebar.fill(self.scan.topics, self.scan.modules, kept)

    def _after_close(self) -> None:
        self._update_empty()
        self.save()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        bench = self.bench
        if bench is not None and bench.is_mounted:
            bench.restore_focus()
        # A tab added and selected at once has no place yet when Textual scrolls
        # to it, so it could stay clipped at the right edge.
        self.call_after_refresh(self._reveal_active_tab)

    def _reveal_active_tab(self) -> None:
        try:
            tab = self.query_one("#benches", TabbedContent).query_one(Tabs).active_tab
        except NoMatches:
            return
        if tab is not None:
            tab.scroll_visible(animate=False, force=True)

    @on(BenchChanged)
    def _bench_changed(self) -> None:
        self.save()

    @on(StepsChanged)
    def _steps_changed(self, message: StepsChanged) -> None:
        if isinstance(message.bench, BenchView):
            self._retitle(message.bench)
        self.save()

    def save(self) -> None:
        """Write the session so the next start reopens these benches.

        Nothing is written before start-up has opened its benches: quitting that
        early keeps the last session (or the first run) as it was.
        """
        if not self._started_up:
            return
        tabs = self.query_one("#benches", TabbedContent)
        panes = list(self.query(TabPane))
        active = next((i for i, p in enumerate(panes) if p.id == tabs.active), 0)
        self.session.benches = [bench.spec for bench in self.benches()]
        self.session.active = active
        self.session.theme = self.theme
        save_session(self.services.workspace, self.session)

    # --- panes: detail view ---------------------------------------------------------

    @on(RecordView.Chosen)
    def _record_chosen(self, message: RecordView.Chosen) -> None:
        view = message.view
        if isinstance(view, InputView):
            row = view.row(message.index)
            if row is not None:
                title = f"Input record · {view.source.label}"
                self.push_screen(
                    RecordDetailScreen(
                        title, row.value, row.key, row.offset, row.timestamp
                    )
                )
        elif isinstance(view, OutputView):
            self._show_output_detail(view, message.index)

    def _show_output_detail(self, view: OutputView, index: int) -> None:
        line = view.line_at(index)
        record = line.record
        offset = line.offset
        bench = self.bench
        row = None
        if bench is not None:
            if line.row_index is not None:
                row = bench.input_view.row(line.row_index)
            elif offset is not None:
                row = bench.input_row_at(offset)
        if row is not None and offset is None:
            offset = row.offset
        attribution = _attribution(view, line.row_index)
        if record is None and row is not None and attribution:
            title = f"No output for offset {row.offset} · its input record"
            self.push_screen(
                RecordDetailScreen(
                    title, row.value, row.key, row.offset, row.timestamp, attribution
                )
            )
            return
        if record is None:
            self.notify("no output record on this line", severity="warning")
            return
        # An output record carries the timestamp of the input record it came from.
        timestamp = row.timestamp if row is not None else 0
        self.push_screen(
            RecordDetailScreen(
                "Output record",
                record.value,
                record.key,
                offset,
                timestamp,
                attribution,
            )
        )

    # --- help, theme, sidebar -------------------------------------------------------

    def action_help(self) -> None:
        """Help for the focused widget and the keys that work here."""
        keys = [
            (self.get_key_display(binding), binding.description)
            for _, binding, enabled, _ in self.screen.active_bindings.values()
            if enabled and binding.description
            if binding.action != "promote" or self._promote_applies()
        ]
        self.push_screen(HelpScreen(self.focused, sorted(keys)))

    def watch_theme(self, theme: str) -> None:
        # Record panes cache their drawn lines; in the old colours they would stay
        # until scrolled away.
        self.call_after_refresh(self._redraw_record_panes)

    def _redraw_record_panes(self) -> None:
        for screen in self.screen_stack:
            for view in screen.query(RecordView):
                view.invalidate()

    def action_toggle_theme(self) -> None:
        """Switch between the dark and light theme."""
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]
        self.save()

    def action_toggle_sidebar(self) -> None:
        """Show or hide the sidebar."""
        sidebar = self.query_one(Sidebar)
        focus_was_inside = self.focused is not None and sidebar in (
            self.focused,
            *self.focused.ancestors,
        )
        sidebar.display = not sidebar.display
        if sidebar.display:
            sidebar.focus()
        elif focus_was_inside and self.bench is not None:
            # Keys must not keep acting on a sidebar nobody can see.
            self.bench.restore_focus()

    @on(Sidebar.Picked)
    def _sidebar_picked(self, message: Sidebar.Picked) -> None:
        item: SidebarItem = message.item
        if item.kind == "topic":
            self.apply_command("topic", {"topic": item.name})
        else:
            self.apply_command("open", {"module": item.name, "topic": ""})

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if self.config.deterministic:
            widget = event.widget
            if isinstance(widget, Input | TextArea):
                widget.cursor_blink = False

    # --- commands: forms prefilled from the bench -----------------------------------

    def open_command_form(self, command: Command) -> None:
        """A form for ``command``, prefilled from the current bench."""
        name = command.path[-1]
        bench = self.bench
        if _acts_on_bench(command) and bench is None:
            title = command_title(command)
            self.notify(
                f"{title}: no bench is open; open a module first (o)",
                severity="warning",
            )
            return
        if name == "promote" and bench is not None and not self._promote_applies():
            self.notify(
                f"{bench.spec.steps[0].module} is already a registered SmartModule; "
                "promote registers a module opened from a .wasm path (o)",
                severity="warning",
            )
            return
        unavailable = bench.export_problem() if bench and name == "export" else None
        if unavailable is not None:
            # Said before the form opens: nothing typed into it could help.
            self.notify(unavailable, severity="warning")
            return
        prefill = {**self._prefill(), **self._chain_prefill(name)}
        fields = [
            self._with_suggestions(_field_for(argument, prefill, name))
            for argument in command.arguments
        ]
        help_text = _sentence(command.description or command.summary)

        def submitted(values: dict[str, str] | None) -> None:
            if values is None:
                return
            if command.path[0] == APP_GROUP:
                self.apply_command(name, values)
            elif command.path[-1] in DESTRUCTIVE_VERBS:
                self._confirm_cli_command(command, values)
            else:
                self._run_cli_command(command, values)

        def validate(values: dict[str, str]) -> str | None:
            return self._problem_with(name, values)

        title = command_title(command)
        if _acts_on_bench(command) and bench is not None:
            title += f" — {bench_label(bench)}"
        form = FormScreen(title, fields, help_text, validate)
        self.push_screen(form, submitted)

    def _with_suggestions(self, form_field: Field) -> Field:
        # Topic and module fields complete to what the workspace holds, and say
        # what that is, so nobody has to remember the names.
        if form_field.choices:
            return form_field
        if form_field.name == "topic":
            known = [*(name for name, _ in self.scan.topics), "scratch"]
        elif form_field.name == "module":
            known = [name for name, _ in self.scan.modules]
        else:
            return form_field
        if not known:
            return form_field
        listed = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
        help_text = f"{form_field.help} (→ completes: {listed})"
        return replace(form_field, suggestions=tuple(known), help=help_text)

    def _confirm_cli_command(self, command: Command, values: dict[str, str]) -> None:
        # Deleting cannot be undone: name what goes and ask first.
        names = _command_line(command, values)
        targets = ", ".join(n for n in names if not n.startswith("-")) or "nothing"
        things = "topics" if command.path[0] == "topic" else "SmartModules"
        question = f"Delete {things}: {targets}?\nThis cannot be undone."
        followed = [b.spec.title for b in self.benches() if b.spec.topic in names]
        if command.path[0] == "topic" and followed:
            question += f"\nBenches reading it: {', '.join(followed)}."

        def answered(delete: bool | None) -> None:
            if delete:
                self._run_cli_command(command, values)

        self.push_screen(ConfirmScreen(question, "Delete"), answered)

    @work(thread=True, group="task", exit_on_error=False)
    def _run_cli_command(self, command: Command, values: dict[str, str]) -> None:
        # A real `smartbench` process: the command prints as it does in a shell,
        # and nothing it writes can reach the terminal this app owns.
        argv = [*command.path, *_command_line(command, values)]
        workspace = ["--workspace", str(self.services.workspace)]
        done = subprocess.run(
            [sys.executable, "-m", "workbench", *argv, *workspace],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        title = f"smartbench {' '.join(argv)} → exit {done.returncode}"
        output = (done.stdout + done.stderr).rstrip() or "(no output)"
        self.post_message(CommandOutput(title, output))

    @on(CommandOutput)
    def _command_output(self, message: CommandOutput) -> None:
        self.push_screen(TextScreen(message.title, message.output))
        self.rescan()
        # A command may have deleted or refilled a topic a bench reads: the
        # benches look now, not at their next poll (or never, polling off).
        for bench in self.benches():
            bench.show_appended()

    def _problem_with(self, name: str, values: dict[str, str]) -> str | None:
        # Mistakes are shown inside the form, so nothing typed is lost.
        try:
            if name == "promote":
                # The registry's own message is Fluvio's; the form says the rule.
                return name_problem(values.get("name", "").strip(), "SmartModule")
            elif name == "params":
                parse_params(values.get("params", "").split(","))
            elif name == "export":
                return self._export_problem(values)
            elif name == "open":
                self._check_module(values.get("module", "").strip())
                self._check_topic(values.get("topic", "").strip())
            elif name == "topic":
                topic = values.get("topic", "").strip()
                if not topic:
                    return "give a topic name, or 'scratch' to type input by hand"
                self._check_topic(topic)
            elif name in ("open-transforms", "add-step", "remove-step", "step"):
                self._chain_problem(name, values)
        except SmartbenchError as error:
            return error.message
        return None

    def _export_problem(self, values: dict[str, str]) -> str | None:
        """What stops an export to the form's target, before anything is written."""
        bench = self._require_bench()
        # A run may have started since the form opened: its output is not whole.
        unavailable = bench.export_problem()
        if unavailable is not None:
            return unavailable
        topic, file = _export_target(values)
        if topic is not None:
            problem = name_problem(topic, "topic")
            if problem is None and self.services.broker.topic_exists(topic):
                problem = (
                    f"topic {topic} already exists; an export makes a new topic, "
                    "so give another name"
                )
            return problem
        return _export_file_problem(Path(file or "").expanduser())

    def _prefill(self) -> dict[str, str]:
        bench = self.bench
        topics = [name for name, _ in self.scan.topics]
        values = {
            "theme": "light" if self.theme == THEMES[1] else "dark",
            "topic": topics[0] if topics else "",
            "abi_version": "22",
        }
        if bench is None:
            return values
        spec = bench.spec
        step = spec.steps[bench.shown_step()]
        values.update(
            {
                "module": spec.steps[0].module,
                "topic": spec.topic or "scratch",
                "params": ", ".join(f"{k}={v}" for k, v in step.params.items()),
                "aggregate_initial": step.initial or "",
                "abi_version": str(spec.abi_version),
                # The palette's watch form offers the toggle: the other state.
                "watch": "off" if spec.watch else "on",
                "key_separator": spec.key_separator,
                "name": _suggest_name(spec.steps[0].module),
                # One target only: a form with both would be refused as it stands.
                "output_topic": _suggest_export_topic(
                    spec, self.services.broker.topic_exists
                ),
            }
        )
        build = self.session.watch_builds.get(spec.steps[0].module, {})
        values["build"] = build.get("build", "")
        values["src"] = build.get("src", "")
        return values

    def _command(self, name: str) -> Command | None:
        return next((c for c in app_commands() if c.path[-1] == name), None)

    def _form(self, name: str) -> None:
        command = self._command(name)
        if command is not None:
            self.open_command_form(command)

    def action_open_module(self) -> None:
        """Open a module (path or registered name) in a new bench."""
        self._form("open")

    def action_switch_topic(self) -> None:
        """Pick the bench's input: a topic or scratch."""
        self._form("topic")

    def action_edit_params(self) -> None:
        """Edit params and the aggregate initial value of the bench."""
        self._form("params")

    def action_promote(self) -> None:
        """Register the bench's module under a name."""
        self._form("promote")

    def action_export(self) -> None:
        """Export the whole-topic run's output to a topic or a JSON Lines file."""
        self._form("export")

    def action_abi_version(self) -> None:
        """Switch the ABI version the bench's modules see."""
        self._form("abi")

    def action_produce(self) -> None:
        """Write a record into the bench's topic."""
        self._form("produce")

    def apply_command(self, name: str, values: dict[str, str]) -> None:
        """Carry out an app command with the form's (or the CLI's) values."""
        handler = getattr(self, f"_command_{name.replace('-', '_')}", None)
        if handler is None:
            self.notify(f"unknown command {name}", severity="error")
            return
        try:
            handler(values)
        except SmartbenchError as error:
            self.notify(error.message, title=error.title, severity="error")

    def _require_bench(self) -> BenchView:
        bench = self.bench
        if bench is None:
            raise UsageError("open a module first (o)")
        return bench

    def _command_open(self, values: dict[str, str]) -> None:
        module = values.get("module", "").strip()
        if not module:
            raise UsageError("give a .wasm path or a registered module name")
        topic = values.get("topic", "").strip() or None
        self._check_topic(topic or "")
        if topic is None and self.bench is not None:
            topic = self.bench.spec.topic
        if topic is None and self.scan.topics:
            topic = self.scan.topics[0][0]
        if topic == "scratch":
            topic = None
        step = StepSpec(module)
        if step.is_path:
            step = StepSpec(str(Path(module).expanduser().resolve()))
            if step.module not in self.session.opened_paths:
                self.session.opened_paths.append(step.module)
        watch = values.get("watch") == "yes"
        bench = self.add_bench(BenchSpec([step], topic=topic, watch=watch))
        if watch:
            self._start_watch(bench)
        self.query_one(Sidebar).fill(
            self.scan.topics, self.scan.modules, self.session.opened_paths
        )

    # --- chains: a transforms file, or steps added and removed by hand ------------

    def _open_start_chain(self, args: argparse.Namespace) -> bool:
        topic = getattr(args, "topic", None) or ""
        try:
            steps, note = start_chain_steps(args)
            self._open_chain(steps, note, topic)
        except SmartbenchError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10)
            return False
        return True

    def _command_open_transforms(self, values: dict[str, str]) -> None:
        from workbench.chain_spec import steps_from_file

        path = Path(values.get("file", "").strip()).expanduser()
        steps, note = steps_from_file(path)
        self._open_chain(steps, note, values.get("topic", "").strip())
        self._last_transforms_file = str(path)

    def _open_chain(self, steps: list[StepSpec], note: str | None, topic: str) -> None:
        from workbench.chain_spec import check_modules

        check_modules(steps, self._is_registered)
        chosen: str | None = topic or None
        if chosen is None and self.bench is not None:
            chosen = self.bench.spec.topic
        if chosen is None and self.scan.topics:
            chosen = self.scan.topics[0][0]
        if chosen == "scratch":
            chosen = None
        elif chosen is not None and not self._topic_known(chosen):
            raise UsageError(f"Topic {chosen} not found")
        self.add_bench(BenchSpec(steps, topic=chosen))
        if note:
            self.notify(note, severity="warning", timeout=8)

    def _command_add_step(self, values: dict[str, str]) -> None:
        bench = self._require_bench()
        steps = [*bench.spec.steps, self._typed_step(values)]
        bench.change_steps(steps, f"step {len(steps)} added")

    def _command_remove_step(self, values: dict[str, str]) -> None:
        bench = self._require_bench()
        index = _removable_step(values.get("step", ""), len(bench.spec.steps))
        removed = bench.spec.steps[index]
        steps = [s for i, s in enumerate(bench.spec.steps) if i != index]
        bench.change_steps(steps, f"step {index + 1} ({removed.module}) removed")

    def _typed_step(self, values: dict[str, str]) -> StepSpec:
        from workbench.chain_spec import check_modules, step_spec

        params = parse_params(_param_items(values.get("params", "")))
        initial = values.get("aggregate_initial", "") or None
        step = step_spec(values.get("module", ""), params, initial, Path.cwd())
        check_modules([step], self._is_registered)
        return step

    def _chain_problem(self, name: str, values: dict[str, str]) -> None:
        # Checked in the form (files, YAML, names), so a mistake keeps what was
        # typed; compiling happens in a worker after the form closes.
        from workbench.chain_spec import check_modules, steps_from_file

        if name == "open-transforms":
            path = Path(values.get("file", "").strip()).expanduser()
            steps, _ = steps_from_file(path)
            check_modules(steps, self._is_registered)
        elif name == "add-step":
            self._typed_step(values)
        elif name == "remove-step":
            bench = self._require_bench()
            _removable_step(values.get("step", ""), len(bench.spec.steps))
        else:
            bench = self._require_bench()
            _step_index(values.get("step", ""), len(bench.spec.steps))

    def _command_step(self, values: dict[str, str]) -> None:
        bench = self._require_bench()
        bench.show_step(_step_index(values.get("step", ""), len(bench.spec.steps)))

    def _is_registered(self, name: str) -> bool:
        if name in {known for known, _ in self.scan.modules}:
            return True
        registry = self.services.open_registry()
        try:
            registered: bool = registry.exists(name)
            return registered
        finally:
            registry.close()

    def _topic_known(self, topic: str) -> bool:
        known = {name for name, _ in self.scan.topics}
        return topic in known or self.services.broker.topic_exists(topic)

    def _chain_prefill(self, name: str) -> dict[str, str]:
        from workbench.chain_spec import find_transforms_file

        if name == "open-transforms":
            found = self._last_transforms_file or find_transforms_file(Path.cwd())
            return {"file": str(found or "")}
        if name == "add-step":
            return {"module": "", "params": "", "aggregate_initial": ""}
        bench = self.bench
        if name == "remove-step" and bench is not None:
            return {"step": str(len(bench.spec.steps))}
        if name == "step" and bench is not None:
            return {"step": str(bench.shown_step() + 1)}
        return {}

    def _command_topic(self, values: dict[str, str]) -> None:
        bench = self._require_bench()
        topic = values.get("topic", "").strip()
        bench.spec.key_separator = values.get("key_separator", "")
        self._check_topic(topic)
        if topic in ("", "scratch"):
            bench.set_input(None)
        else:
            bench.set_input(topic)
        self._retitle(bench)

    def _check_module(self, module: str) -> None:
        """Refuse a module path that is no file, or a name nobody registered."""
        if not module:
            raise UsageError("give a .wasm path or a registered module name")
        step = StepSpec(module)
        if step.is_path:
            check_module_file(Path(module).expanduser())
            return
        registry = self.services.open_registry()
        try:
            known = registry.exists(module)
        finally:
            registry.close()
        if not known:
            raise UsageError(f"smartmodule {module} not found")

    def _check_topic(self, topic: str) -> None:
        """Refuse a topic that does not exist; empty and ``scratch`` need none."""
        if topic in ("", "scratch"):
            return
        if not self.services.broker.topic_exists(topic):
            raise UsageError(f"Topic {topic} not found")

    def _command_run(self, values: dict[str, str]) -> None:
        self._require_bench().action_run_topic()

    def _command_params(self, values: dict[str, str]) -> None:
        bench = self._require_bench()
        params = parse_params(values.get("params", "").split(","))
        initial = values.get("aggregate_initial", "")
        # On a chain, the step whose output is shown (the header highlights it).
        step = bench.spec.steps[bench.shown_step()]
        step.params = params
        step.initial = initial or None
        bench.reload_modules()
        self.save()

    def _command_abi(self, values: dict[str, str]) -> None:
        bench = self._require_bench()
        text = values.get("abi_version", "").strip()
        if text not in ("22", "25"):
            raise UsageError(f"ABI version {text!r}: choose 22 or 25")
        bench.spec.abi_version = int(text)
        bench.reload_modules()
        self.save()

    def _command_theme(self, values: dict[str, str]) -> None:
        choice = values.get("theme", "dark").strip()
        if choice not in ("dark", "light"):
            raise UsageError(f"theme {choice!r}: choose dark or light")
        self.theme = THEMES[1] if choice == "light" else THEMES[0]
        self.save()

    def _command_produce(self, values: dict[str, str]) -> None:
        bench = self._require_bench()
        topic = bench.spec.topic
        if topic is None:
            raise UsageError("the bench reads scratch input; switch to a topic (t)")
        value = values.get("value", "")
        key = values.get("key", "") or None
        self._produce(topic, key, value, bench.show_appended)

    @work(thread=True, group="task", exit_on_error=False)
    def _produce(
        self, topic: str, key: str | None, value: str, then: Callable[[], None]
    ) -> None:
        try:
            keys = None if key is None else [key.encode()]
            written = self.services.broker.produce(topic, [value.encode()], keys)
            offsets = [r.start for r in written.values()]
            note = f"produced to {topic} at offset {offsets[0] if offsets else '?'}"
            self.post_message(TaskFinished(note, None, then))
        except SmartbenchError as error:
            self.post_message(TaskFinished(None, error.message, None))

    @on(TaskFinished)
    def _task_finished(self, message: TaskFinished) -> None:
        if message.error is not None:
            self.notify(message.error, severity="error", timeout=8)
        elif message.note:
            self.notify(message.note)
        if message.then is not None and message.error is None:
            message.then()

    # --- promote --------------------------------------------------------------------

    def _command_promote(self, values: dict[str, str]) -> None:
        from workbench.engine.registry import check_module_name

        bench = self._require_bench()
        step = bench.spec.steps[0]
        if step.is_path:
            path = step.module
            # The bytes the bench runs, not the file: it may have been rebuilt since.
            wasm = bench.loaded.modules[0].wasm if bench.loaded is not None else None
        else:
            # A registered bench following its source promotes the source again:
            # the module the watch compiled last, which may differ from the file
            # if it is being written.
            source = bench.watched_source()
            if source is None:
                raise UsageError(f"{step.module} is already registered")
            path, wasm = str(source[0]), source[1]
        name = values.get("name", "").strip()
        check_module_name(name)
        taken = name in {n for n, _ in self.scan.modules} or name == step.module
        if taken and values.get("replace") not in ("true", "True", "yes"):

            def answered(replace: bool | None) -> None:
                if replace:
                    self._promote(bench, name, path, wasm)

            question = f"A SmartModule named {name!r} exists. Replace it?"
            self.push_screen(ConfirmScreen(question, "Replace"), answered)
            return
        self._promote(bench, name, path, wasm)

    def _promote(
        self, bench: BenchView, name: str, path: str, wasm: bytes | None
    ) -> None:
        def registered() -> None:
            old = bench.spec.steps[0].module
            bench.spec.steps[0].module = name
            bench.spec.source_path = path
            # The watch's build is remembered by module: it goes with the name.
            build = self.session.watch_builds.get(old)
            if build is not None:
                self.session.watch_builds.setdefault(name, build)
            self._retitle(bench)
            bench.reload_modules()
            self.save()
            self._scan_workspace()

        self._register_module(name, path, wasm, registered)

    @work(thread=True, group="task", exit_on_error=False)
    def _register_module(
        self, name: str, path: str, wasm: bytes | None, then: Callable[[], None]
    ) -> None:
        registry = self.services.open_registry()
        try:
            if wasm is None:
                registry.create(name, path, replace=True)
            else:
                registry.create_from_bytes(name, wasm, Path(path), replace=True)
            self.post_message(TaskFinished(f"promoted to {name}", None, then))
        except SmartbenchError as error:
            self.post_message(TaskFinished(None, error.message, None))
        finally:
            registry.close()

    def _retitle(self, bench: BenchView) -> None:
        pane = bench.parent
        if isinstance(pane, TabPane) and pane.id:
            tabs = self.query_one("#benches", TabbedContent)
            tabs.get_tab(pane.id).label = bench.spec.title
        bench._refresh_header()

    # --- export ---------------------------------------------------------------------

    def _command_export(self, values: dict[str, str]) -> None:
        bench = self._require_bench()
        summary = bench.run_summary
        problem = bench.export_problem()
        if problem is not None or summary is None or summary.output_topic is None:
            raise UsageError(problem or "no run output to export")
        output_topic, file = _export_target(values)
        partial = _partial_note(summary, bench.input_view.line_count())
        self._export(summary.output_topic, output_topic, file, partial)

    @work(thread=True, group="task", exit_on_error=False)
    def _export(
        self, source: str, topic: str | None, file: str | None, partial: str
    ) -> None:
        from workbench.bench import TopicSource, iter_pages

        broker = self.services.broker
        pages = iter_pages(TopicSource(broker, source))
        path = Path(file or "out.jsonl").expanduser()
        # The file appears whole or not at all: a failed export neither leaves
        # half a file nor spoils one that was there.
        partial_file = path.with_name(f".{path.name}.partial")
        created = False
        try:
            if topic is not None:
                broker.create_topic(topic)
                created = True
                for rows in pages:
                    values = [r.value for r in rows]
                    broker.produce(topic, values, [r.key for r in rows])
                note = f"exported to topic {topic}"
            else:
                with partial_file.open("w", encoding="utf-8") as handle:
                    created = True
                    for rows in pages:
                        for row in rows:
                            handle.write(_json_line(row.key, row.value) + "\n")
                partial_file.replace(path)
                note = f"exported to {path}"
            self.post_message(TaskFinished(note + partial, None, self.rescan))
        except Exception as error:
            # Half an export would pass for a whole one: what it made goes.
            if not isinstance(error, (SmartbenchError, OSError)):
                log.exception("export of %s", source)
            if created:
                _remove_export_target(broker, topic, partial_file)
            self.post_message(
                TaskFinished(None, _export_failure(error, source, topic, path), None)
            )

    # --- watch ----------------------------------------------------------------------

    def action_toggle_watch(self) -> None:
        """Turn watch on or off; the first time for a module, ask about a build."""
        bench = self.bench
        if bench is None:
            return
        remembered = bench.spec.steps[0].module in self.session.watch_builds
        if bench.spec.watch or remembered:
            self.set_watch(bench, not bench.spec.watch)
        else:
            self._form("watch")

    def _command_watch(self, values: dict[str, str]) -> None:
        bench = self._require_bench()
        module = bench.spec.steps[0].module
        self.session.watch_builds[module] = {
            "build": values.get("build", "").strip(),
            "src": values.get("src", "").strip(),
        }
        # From the w key the form only asks about a build: it turns watch on.
        self.set_watch(bench, values.get("watch", "on").strip().lower() != "off")

    def set_watch(self, bench: BenchView, on: bool) -> None:
        """Start or stop following the bench's module file."""
        bench.spec.watch = on
        if not on:
            bench.stop_watch()
            bench.set_watch_note("")
            self.save()
            return
        self._start_watch(bench)
        self.save()

    def _start_watch(self, bench: BenchView) -> None:
        if not self.config.watch_enabled:
            return
        source = self._registered_source(bench.spec.steps[0])
        path = watched_path(bench.spec, source)
        if path is None:
            bench.spec.watch = False
            self.notify("no source file is known for this module", severity="error")
            return
        build = self.session.watch_builds.get(bench.spec.steps[0].module, {})
        bench.start_watch(path, self._build_config(path, build))

    def _registered_source(self, step: StepSpec) -> str | None:
        if step.is_path:
            return None
        registry = self.services.open_registry()
        try:
            source: str | None = registry.describe(step.module).source
            return source
        except SmartbenchError:
            return None
        finally:
            registry.close()

    def _build_config(self, path: Path, build: dict[str, str]) -> BuildConfig | None:
        from workbench.engine.watch import BuildConfig, default_source_dir

        command = build.get("build", "")
        if not command:
            return None
        source = Path(build["src"]).expanduser() if build.get("src") else None
        source_dir = source or default_source_dir(path)
        log_path = self.services.workspace / "logs" / f"build-{path.stem}.log"
        return BuildConfig(command, source_dir, log_path, cwd=Path.cwd())

    # --- quitting -------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Cancel runs, drop temporary topics, save the session and leave."""
        for bench in self.benches():
            bench.close()
        self.save()
        self.exit(0)


def _pane_id(bench: BenchView) -> str:
    return "pane-" + (bench.id or "").removeprefix("bench-")


def _pane_of(bench: BenchView) -> BenchPane:
    return BenchPane(bench.spec.title, bench, id=_pane_id(bench))


def _opens_a_bench(args: argparse.Namespace) -> bool:
    """True when the shell's command opens a bench of its own."""
    command = getattr(args, "command", None)
    if command is None:
        return bool(getattr(args, "path", None)) or _start_chain_given(args)
    return command.path[-1] in ("open", "open-transforms")


def _drop_orphaned_run_topics(broker: Broker) -> None:
    names = [t.name for t in broker.list_topics()]
    for name in orphaned_run_topics(names):
        try:
            broker.delete_topic(name)
        except SmartbenchError:
            log.exception("dropping the orphaned run topic %s", name)


def _listed_topics(broker: Broker) -> list[tuple[str, int]]:
    """Topics and record counts for the sidebar, without runs' temporary topics."""
    return [
        (t.name, t.records) for t in broker.list_topics() if not is_run_topic(t.name)
    ]


DESTRUCTIVE_VERBS = ("delete",)
"""Palette commands that destroy something: they ask before running."""
BENCHLESS_COMMANDS = ("open", "open-transforms", "theme")
"""App commands that need no open bench."""


def _acts_on_bench(command: Command) -> bool:
    return command.path[0] == APP_GROUP and command.path[-1] not in BENCHLESS_COMMANDS


def bench_label(bench: BenchView) -> str:
    """``quake-filter on earthquakes``: which bench a form applies to."""
    source = bench.spec.topic if bench.spec.topic is not None else "scratch input"
    return f"{bench.spec.title} on {source}"


def _partial_note(summary: TopicRunSummary, input_count: int) -> str:
    """What an export of a run that did not finish leaves out; empty if it did."""
    if summary.cancelled:
        why = "the run was cancelled"
    elif summary.error is not None or summary.failure is not None:
        why = "the run stopped on an error"
    else:
        return ""
    covered = min(summary.records_in, input_count)
    return (
        f"\npartial: {why}; the output covers {covered:,} of "
        f"{input_count:,} input records"
    )


def _export_target(values: dict[str, str]) -> tuple[str | None, str | None]:
    """The export form's topic or file; exactly one must be given."""
    output_topic = values.get("output_topic", "").strip()
    file = values.get("file", "").strip()
    if output_topic and file:
        raise UsageError("give either a topic name or a file, not both")
    if not output_topic and not file:
        raise UsageError("give a topic name or a file to export to")
    return output_topic or None, file or None


def _field_for(argument: Any, prefill: dict[str, str], command: str) -> Field:
    flags = argument.flags
    name = _field_name(argument)
    label = name.replace("_", " ")
    if flags[0].startswith("-"):
        label = f"{label} ({', '.join(flags)})"
    choices = tuple(str(c) for c in argument.options.get("choices") or ())
    if argument.options.get("action") == "store_true":
        choices = ("no", "yes")
    value = prefill.get(name, "")
    if choices and value not in choices:
        value = choices[0]
    help_text = argument.help
    if argument.options.get("action") == "append":
        help_text += "; separate several with commas"
    return Field(name, label, value, help_text, choices)


def _command_line(command: Command, values: dict[str, str]) -> list[str]:
    """The arguments a shell user would type for the form's values."""
    words: list[str] = []
    for argument in command.arguments:
        name = _field_name(argument)
        value = values.get(name, "").strip()
        flag = argument.flags[0]
        action = argument.options.get("action")
        if not flag.startswith("-"):
            words.extend(value.split() if argument.options.get("nargs") else [value])
        elif action == "store_true":
            words.extend([flag] if value == "yes" else [])
        elif action == "append":
            items = [item.strip() for item in value.split(",") if item.strip()]
            words.extend(word for item in items for word in (flag, item))
        elif value:
            words.extend([flag, value])
    return [word for word in words if word]


def _field_name(argument: Any) -> str:
    flags = argument.flags
    if not flags[0].startswith("-"):
        return str(argument.options.get("dest") or flags[0])
    dest = argument.options.get("dest")
    return str(dest or flags[-1].lstrip("-").replace("-", "_"))


def _sentence(text: str) -> str:
    """``text`` with a capital first letter; the rest as written (``ABI`` stays)."""
    return text[:1].upper() + text[1:]


def _suggest_name(module: str) -> str:
    stem = Path(module).stem.lower().replace("_", "-")
    kept = "".join(c for c in stem if c in NAME_CHARACTERS).strip("-")
    return kept or "module"


def _suggest_export_topic(spec: BenchSpec, exists: Callable[[str], bool]) -> str:
    """``NAME-out`` (``NAME-chain-out`` for a chain), else ``-2``, ``-3``…: a new topic.

    Accepting the suggestion works again after an earlier export took it.
    """
    suffix = "-chain-out" if len(spec.steps) > 1 else "-out"
    name = _suggest_name(spec.steps[0].module)
    first = name[: NAME_LIMIT - len(suffix)].rstrip("-") + suffix
    candidate = first
    number = 1
    while exists(candidate):
        number += 1
        ending = f"-{number}"
        candidate = first[: NAME_LIMIT - len(ending)].rstrip("-") + ending
    return candidate


def _remove_export_target(broker: Broker, topic: str | None, path: Path) -> None:
    try:
        if topic is not None:
            broker.delete_topic(topic)
        else:
            path.unlink(missing_ok=True)
    except Exception:
        log.exception("removing the failed export's %s", topic or path)


def _export_failure(
    error: Exception, source: str, topic: str | None, path: Path
) -> str:
    """An export's failure in plain words; nothing of it was kept."""
    target = f"topic {topic}" if topic is not None else str(path)
    if isinstance(error, NotFoundError) and source in error.message:
        why = "a new run replaced the output while it was being copied"
    elif isinstance(error, OSError):
        why = _write_problem(path, error)
    elif isinstance(error, SmartbenchError):
        why = error.message
    else:
        why = str(error)
    return f"export to {target} failed: {why}; nothing was kept"


def _export_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot take an export's JSON Lines, or None when it can."""
    if path.is_dir():
        return f"{path} is a folder; give a file name in it, e.g. {path / 'out.jsonl'}"
    folder = path.parent
    if not folder.is_dir():
        return f"folder {folder} does not exist; create it or pick another"
    # Permission bits do not tell everything (root, /proc, read-only mounts):
    # the file and the export's partial file beside it are really made.
    probes = [path.with_name(f".{path.name}.partial")]
    if not path.exists():
        probes.append(path)
    try:
        if path.exists():
            path.open("a", encoding="utf-8").close()
        for probe in probes:
            probe.open("x", encoding="utf-8").close()
            probe.unlink()
    except OSError as error:
        return _write_problem(path, error)
    return None


def _write_problem(path: Path, error: OSError) -> str:
    """Why writing ``path`` failed, in words rather than an errno."""
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"cannot write {path}: permission denied"
    if error.errno == errno.EROFS:
        return f"cannot write {path}: {path.parent} is on a read-only file system"
    if error.errno == errno.ENOSPC:
        return f"cannot write {path}: the disk is full"
    if error.errno == errno.ENOENT and path.parent.is_dir():
        return f"cannot write {path}: folder {path.parent} does not take new files"
    if error.errno == errno.EEXIST:
        return f"cannot write {path}: {error.filename} is in the way; remove it"
    return f"cannot write {path}: {error.strerror or error}"


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


def _start_chain_given(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "transforms", None)) or bool(
        getattr(args, "transforms_line", None)
    )


def start_chain_steps(args: argparse.Namespace) -> tuple[list[StepSpec], str | None]:
    """The chain ``smartbench -t FILE`` or ``--transforms-line JSON …`` opens.

    Raises:
        UsageError: the file cannot be read or parsed, or a line is not a step.
    """
    from workbench.chain_spec import steps_from_file, steps_from_lines

    transforms = getattr(args, "transforms", None)
    if transforms:
        return steps_from_file(Path(transforms))
    return steps_from_lines(getattr(args, "transforms_line", None) or [], Path.cwd())


def _param_items(text: str) -> list[str]:
    # The form separates params with commas; the shell's -e flags arrive one a line.
    return [item for item in text.replace("\n", ",").split(",") if item.strip()]


def _removable_step(text: str, count: int) -> int:
    """The 0-based index of step number ``text``, when one can be removed."""
    if count < 2:
        raise UsageError("a bench keeps at least one module; close it instead")
    return _step_index(text, count)


def _step_index(text: str, count: int) -> int:
    """The 0-based index of step number ``text`` (empty: the last) of ``count``."""
    chosen = text.strip() or str(count)
    if not chosen.isdigit() or not 1 <= int(chosen) <= count:
        raise UsageError(f"step {chosen!r}: choose a number from 1 to {count}")
    return int(chosen) - 1


def _attribution(view: OutputView, row_index: int | None) -> str:
    """What the module wrote and what failed while processing one input row."""
    window = view.window
    if window is None or row_index is None or not view.attributes_rows:
        return ""
    position = row_index - window.start
    if not 0 <= position < len(window.rows):
        return ""
    parts = []
    problem = window.row_problem(position)
    if problem:
        parts.append(f"This record caused:\n{problem}")
    elif position not in window.outputs:
        parts += _unprocessed_note(window, position)
    logs = window.row_logs(position)
    if logs:
        parts.append("The module wrote, for this record:\n" + "\n".join(logs))
    return "\n\n".join(parts)


def _unprocessed_note(window: WindowResult, position: int) -> list[str]:
    """Why a row has no output: the call that held it failed, or one before it."""
    problem = window.failure or (window.error.render() if window.error else None)
    if problem is None:
        return []
    culprit = window.error_index
    if culprit is None:
        first, last = window.rows[0].offset, window.rows[-1].offset
        where = f"while processing offsets {first}–{last}, this record among them"
        return [f"The module failed {where}:\n{problem}"]
    if position > culprit:
        offset = window.rows[culprit].offset
        return [f"Not processed: the record at offset {offset} caused:\n{problem}"]
    return []


def _json_line(key: bytes | None, value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = text
    key_text = None if key is None else key.decode("utf-8", "replace")
    return json.dumps({"key": key_text, "value": parsed}, ensure_ascii=False)


# --- entry point -------------------------------------------------------------------


def open_workspace(path: Path) -> Workspace:
    """The workspace's broker and registry, without loading samples yet.

    Samples are loaded by the first scan, in a worker, so the first frame never
    waits for module compiles.
    """
    from workbench.workspace import Workspace

    return Workspace.open(path, samples=False)


def run_app(args: argparse.Namespace) -> int:
    """`smartbench` with no command (or an app command): run the TUI."""
    from workbench.config import load_config
    from workbench.module_args import engine_limits
    from workbench.workspace import workspace_dir

    if getattr(args, "command", None) is None and _start_chain_given(args):
        # A missing or broken file is said in the shell, before the TUI starts.
        start_chain_steps(args)
    workspace = open_workspace(workspace_dir(args))
    samples = os.environ.get("SMARTBENCH_NO_SAMPLES", "") in ("", "0")
    _check_start_module(args, workspace, samples)
    # The same [engine] budgets from config.toml as every CLI command uses.
    limits = engine_limits(args, load_config(workspace.path).engine)
    app = SmartbenchApp(
        workspace.path,
        workspace.broker,
        config=AppConfig(limits=limits),
        start_command=args,
        load_samples=samples,
    )

    # Our own loop: asyncio.run would wait for every worker thread on the way out,
    # and a module stuck until its time budget must not hold up Ctrl+Q.
    loop = asyncio.new_event_loop()
    try:
        app.run(loop=loop)
    finally:
        loop.close()
    code = app.return_code or 0
    if _busy_threads():
        logging.shutdown()
        sys.stdout.flush()
        os._exit(code)
    return code


def _check_start_module(
    args: argparse.Namespace, workspace: Workspace, samples: bool
) -> None:
    """Refuse, in the shell, a start word that is no file and no module name.

    Raises:
        UsageError: ``smartbench WORD`` names no command, file or SmartModule.
    """
    word = getattr(args, "path", None)
    if getattr(args, "command", None) is not None or not word:
        return
    path = Path(word).expanduser()
    if path.is_dir():
        raise UsageError(f"smartbench: error: {word} is a folder, not a .wasm file")
    if StepSpec(word).is_path:
        if not path.exists():
            # Said here rather than in a bench that could never load: the session
            # would keep reopening it.
            raise UsageError(f"smartbench: error: no such file: {word}")
        return
    if Path(word).is_file():
        # A file with no .wasm suffix or folder opens as a path, not a name.
        args.path = str(Path(word).resolve())
    elif not workspace.will_have_module(word, samples):
        raise UsageError(
            f"smartbench: error: {word!r} is not a command, a file or a registered "
            "SmartModule (see smartbench --help)"
        )


def _busy_threads() -> bool:
    return any(
        t.is_alive() and not t.daemon and t is not threading.main_thread()
        for t in threading.enumerate()
    )
