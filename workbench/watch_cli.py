"""`smartbench watch`: follow a module file and print what each rebuild changes.

stdout carries the stream a user may redirect to a file: the window's output once,
then for every reload a header line and the diff, or the reason it was refused.
Build progress and what the module prints go to stderr. Every event is flushed as
it happens, and Ctrl-C or SIGTERM end the command with status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import BinaryIO, TextIO

from workbench.consume_formats import OutRecord, RecordPrinter
from workbench.engine.outdiff import OutputRecord
from workbench.engine.units import format_bytes
from workbench.engine.watch import (
    BuildConfig,
    BuildFailed,
    BuildQueued,
    BuildStarted,
    BuildSucceeded,
    ModuleWatcher,
    Reloaded,
    ReloadFailed,
    WatchEvent,
    WatchStarted,
    WindowOutput,
    default_source_dir,
)
from workbench.engine.window import (
    ChainWindow,
    load_watched_module,
    read_window,
    window_ranges,
)
from workbench.errors import EXIT_OK, UsageError
from workbench.module_args import (
    abi_version,
    engine_limits,
    parse_params,
    workspace_config,
)
from workbench.workspace import Workspace, open_workspace

SHORT_SHA = 8


def watch(args: argparse.Namespace) -> int:
    """`watch PATH --topic T …`: print the window's output, then every reload."""
    _check_window_flags(args)
    workspace = open_workspace(args)
    path = _module_path(args.path, workspace)

    watcher = ModuleWatcher(
        path,
        load_watched_module,
        _window(args, workspace),
        _build_config(args, path),
    )
    printer = EventPrinter(str(path), _record_printer(args))
    with _sigterm_interrupts():
        try:
            for event in watcher.events():
                printer.show(event)
        except KeyboardInterrupt:
            pass
        finally:
            watcher.stop()
    return EXIT_OK


class EventPrinter:
    """Writes watch events: data on stdout (bytes), progress on stderr."""

    def __init__(
        self,
        path_label: str,
        records: RecordPrinter,
        out: BinaryIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.path_label = path_label
        self.records = records
        # The diff renders one record at a time, so it gets its own printer (a
        # table header belongs to the window's output only).
        self.diff_records = RecordPrinter(
            records.output, records.template, records.with_key, records.suppress_unknown
        )
        self.out = out or sys.stdout.buffer
        self.err = err or sys.stderr

    def show(self, event: WatchEvent) -> None:
        """Print one event and flush both streams at once."""
        if isinstance(event, WatchStarted):
            self._output(event.output)
        elif isinstance(event, Reloaded):
            self._reloaded(event)
        elif isinstance(event, ReloadFailed):
            short = event.old_sha[:SHORT_SHA]
            self._say(f"reload failed: {event.reason}; still running sha256:{short}")
        else:
            self._build(event)
        self.out.flush()
        self.err.flush()

    def _reloaded(self, event: Reloaded) -> None:
        info = event.info
        self._say(
            f"reloaded {self.path_label}: {info.kind.value}, "
            f"{format_bytes(info.size)}, sha256:{info.sha256[:SHORT_SHA]}, "
            f"{event.latency_ms:.0f} ms"
        )
        if event.diff is not None:
            for line in event.diff.format(self._diff_text):
                self._say(line)
        if event.output is not None:
            self._problems(event.output)

    def _output(self, output: WindowOutput | None) -> None:
        if output is None:
            return
        self.out.write(self.records.render([_shown(r) for r in output.records]))
        self._problems(output)

    def _diff_text(self, record: OutputRecord) -> str:
        # Both sides share one line, so multi-line formats (pretty JSON) fold.
        text = self.diff_records.render([_shown(record)]).decode(
            "utf-8", "surrogateescape"
        )
        return " ".join(part.strip() for part in text.splitlines())

    def _problems(self, output: WindowOutput) -> None:
        for log in output.logs:
            print(log, file=self.err)
        for error in output.errors:
            self._say(error)

    def _build(
        self, event: BuildStarted | BuildQueued | BuildSucceeded | BuildFailed
    ) -> None:
        if isinstance(event, BuildStarted):
            message = f"build started: {event.command}"
        elif isinstance(event, BuildQueued):
            message = "sources changed during the build; one more build queued"
        elif isinstance(event, BuildSucceeded):
            message = f"build succeeded in {event.seconds:.1f} s"
        else:
            lines = [f"build failed: {event.reason} (log: {event.log_path})"]
            message = "\n".join(lines + [f"  | {line}" for line in event.tail])
        print(message, file=self.err)

    def _say(self, line: str) -> None:
        self.out.write(line.encode("utf-8", "surrogateescape") + b"\n")


def _shown(record: OutputRecord) -> OutRecord:
    timestamp = -1 if record.timestamp is None else record.timestamp
    return (timestamp, record.partition, record.offset, record.key, record.value)


def _record_printer(args: argparse.Namespace) -> RecordPrinter:
    return RecordPrinter(
        args.output or "dynamic", args.format, args.key_value, args.suppress_unknown
    )


def _check_window_flags(args: argparse.Namespace) -> None:
    if args.tail is not None and args.tail < 0:
        raise UsageError(f"-T needs a count of 0 or more, not {args.tail}")


def _module_path(given: str, workspace: Workspace) -> Path:
    # A registered name follows the file it was registered from, since its
    # stored copy never changes.
    path = Path(given)
    if path.is_file():
        return path
    registry = workspace.registry
    if not path.suffix and registry.exists(given):
        source = registry.describe(given).source
        if source and Path(source).is_file():
            note = f"watching {source}, the source of smartmodule {given!r}"
            print(note, file=sys.stderr)
            return Path(source)
        raise UsageError(
            f"smartmodule {given!r} has no source file to watch "
            f"(registered from {source or 'bytes'}); give the .wasm path"
        )
    raise UsageError(f"{path}: no such file")


def _window(args: argparse.Namespace, workspace: Workspace) -> ChainWindow:
    broker = workspace.broker
    ranges = window_ranges(
        broker,
        args.topic,
        args.partitions,
        beginning=args.beginning,
        tail=args.tail,
        start=args.start,
        end=args.end,
    )
    settings = workspace_config(args).engine
    return ChainWindow(
        read_window(broker, args.topic, ranges),
        params=parse_params(args.params),
        initial=(args.aggregate_initial or "").encode(),
        abi_version=abi_version(args, settings),
        limits=engine_limits(args, settings),
    )


def _build_config(args: argparse.Namespace, path: Path) -> BuildConfig | None:
    if not args.build:
        if args.src:
            raise UsageError("--src only applies with --build")
        return None
    source_dir = Path(args.src) if args.src else default_source_dir(path)
    if not source_dir.is_dir():
        raise UsageError(f"--src {source_dir}: not a directory")
    return BuildConfig(
        command=args.build,
        source_dir=source_dir,
        log_path=_state_dir() / "builds" / f"{path.stem}.log",
    )


def _state_dir() -> Path:
    from platformdirs import user_state_dir

    return Path(os.environ.get("SMARTBENCH_STATE_DIR") or user_state_dir("smartbench"))


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    # SIGTERM ends the watch exactly like Ctrl-C: the loop unwinds, the watcher
    # stops its threads and build, and the command exits 0.
    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
