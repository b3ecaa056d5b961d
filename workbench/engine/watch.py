"""Watch mode: reload a rebuilt ``.wasm``, rebuild on source change, diff the output.

A :class:`ModuleWatcher` follows one module file with watchfiles. After a change it
reads the file and compiles it; a file that fails to validate, or whose size or
mtime moved while it was read, leaves the old module running until the next change
(no fixed sleep). Only a module that compiled, ran ``init`` and re-ran the window is
swapped in, and the new output is diffed against the old one.

With a build command it also watches a source tree and runs the command through
``sh -c`` on every change there, one build at a time: changes during a build queue
exactly one more. Output goes to a build log; a failing or hung build (killed after
its timeout) reports its last lines and keeps the old module.

Everything comes out of :meth:`ModuleWatcher.events` as typed events, so a headless
loop and a Textual thread worker drive it the same way; :meth:`ModuleWatcher.stop`
ends it promptly from any thread. No UI toolkit is imported here. In a thread
worker, iterate the events and post each one as a message; stop the watcher when
the worker is cancelled or the bench closes::

    watcher = ModuleWatcher(
        path, load_watched_module, ChainWindow(batches, params=params), build
    )
    for event in watcher.events():  # compiles and runs in this thread
        app.post_message(WatchEventArrived(event))

:class:`workbench.engine.window.ChainWindow` is the usual runner (a topic window,
or typed records via ``batch_from_values``); each diff line's ``op`` picks its
colour.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from watchfiles._rust_notify import RustNotify

from workbench.engine.outdiff import OutputDiff, OutputRecord, diff_outputs
from workbench.engine.types import ModuleInfo
from workbench.errors import SmartbenchError

logger = logging.getLogger(__name__)

BUILD_TIMEOUT_SECONDS = 120.0
BUILD_TAIL_LINES = 20
_DEBOUNCE_MS = 1600
SOURCE_MARKERS = ("Cargo.toml", "build.sh")

# Recent writes count from the file's mtime, so a reported latency includes the
# watcher's own debounce; an older mtime (e.g. a copy keeping it) is not trusted.
_MTIME_TRUST_SECONDS = 2.0

IGNORED_SOURCE_DIRS = frozenset(
    {"target", ".git", "__pycache__", ".zig-cache", "zig-cache", "zig-out"}
)
# Editor swap and backup files, and build outputs, which a build writes itself and
# which must not trigger the next build.
_IGNORED_SOURCE_FILES = re.compile(
    r"""(
        \.sw[a-p]$ | ~$ | ^\.\# | ^\#.*\#$ | ^4913$ | \.kate-swp$ | ___jb_...___$
        | ^\.DS_Store$ | \.wasm$ | \.o$ | \.obj$ | \.a$ | \.log$
    )""",
    re.VERBOSE,
)


class HasInfo(Protocol):
    """A compiled module: what the watcher needs to know about it."""

    @property
    def info(self) -> ModuleInfo: ...


ModuleT = TypeVar("ModuleT", bound=HasInfo)
ModuleT_contra = TypeVar("ModuleT_contra", bound=HasInfo, contravariant=True)

ModuleLoader = Callable[[bytes, Path], ModuleT]
"""Validate and compile a module's bytes; raise a SmartbenchError to refuse them."""


@dataclass(frozen=True)
class WindowOutput:
    """What a module produced for the watched input window."""

    records: tuple[OutputRecord, ...]
    errors: tuple[str, ...] = ()
    """Rendered runtime errors (error blocks); the records before them are kept."""
    logs: tuple[str, ...] = ()
    """What the module printed to stdout or stderr while it ran."""


class WindowRunner(Protocol[ModuleT_contra]):
    """Runs a freshly compiled module over the fixed input window."""

    def run(self, module: ModuleT_contra) -> WindowOutput:
        """Run ``init`` (with lookback) and the window; raise SmartbenchError on a
        failure that means the module must not be swapped in."""
        ...


@dataclass(frozen=True)
class BuildConfig:
    """How to rebuild the module when its sources change."""

    command: str
    """Run through ``sh -c``."""
    source_dir: Path
    """Watched recursively, except build output, VCS and editor files."""
    log_path: Path
    """Each build's output is appended here as it runs."""
    cwd: Path = field(default_factory=Path.cwd)
    timeout: float = BUILD_TIMEOUT_SECONDS
    tail_lines: int = BUILD_TAIL_LINES


@dataclass(frozen=True)
class ReloadTimings:
    """Where a reload's time went, in milliseconds."""

    read_ms: float
    compile_ms: float
    run_ms: float
    diff_ms: float


@dataclass(frozen=True)
class WatchStarted:
    """The first module compiled and ran; ``output`` is None without a runner."""

    info: ModuleInfo
    output: WindowOutput | None


@dataclass(frozen=True)
class Reloaded:
    """A new module was swapped in; the diff compares its output with the old one."""

    info: ModuleInfo
    latency_ms: float
    """From the file landing to the diff being ready."""
    diff: OutputDiff | None
    output: WindowOutput | None
    timings: ReloadTimings


@dataclass(frozen=True)
class ReloadFailed:
    """The new file was refused; the module with ``old_sha`` keeps running."""

    reason: str
    old_sha: str


@dataclass(frozen=True)
class BuildStarted:
    """The build command started because sources changed."""

    command: str
    log_path: Path
    changed: tuple[Path, ...]


@dataclass(frozen=True)
class BuildQueued:
    """Sources changed during a build: one more build runs after it."""

    changed: tuple[Path, ...]


@dataclass(frozen=True)
class BuildSucceeded:
    """The build command exited 0."""

    seconds: float
    log_path: Path


@dataclass(frozen=True)
class BuildFailed:
    """The build exited non-zero or was killed; the old module keeps running."""

    reason: str
    tail: tuple[str, ...]
    """The last lines the build printed."""
    log_path: Path


WatchEvent = (
    WatchStarted
    | Reloaded
    | ReloadFailed
    | BuildStarted
    | BuildQueued
    | BuildSucceeded
    | BuildFailed
)


@dataclass(frozen=True)
class FileSignature:
    """What says a file changed: size, modification time and inode."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileSignature:
        """The signature of the file at ``path`` now (raises OSError if absent)."""
        stat = path.stat()
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ino)


def read_settled(
    path: Path, read: Callable[[Path], bytes] = Path.read_bytes
) -> tuple[bytes, FileSignature] | None:
    """Read a file only if it held still while being read.

    Args:
        path: The file to read.
        read: How to read it (tests pass a reader that writes meanwhile).

    Returns:
        The bytes and the file's signature, or None when the file is missing or its
        size or mtime changed during the read (a writer is still at work, and the
        watcher will report its next write).
    """
    try:
        before = FileSignature.of(path)
        data = read(path)
        after = FileSignature.of(path)
    except FileNotFoundError:
        return None

    if before != after or len(data) != after.size:
        logger.info("%s changed while being read; waiting for the next change", path)
        return None
    return data, after


def default_source_dir(module_path: Path) -> Path:
    """The nearest parent of the module holding Cargo.toml or build.sh, else its dir."""
    start = module_path.absolute().parent
    for directory in (start, *start.parents):
        if any((directory / marker).is_file() for marker in SOURCE_MARKERS):
            return directory
    return start


def source_watch_roots(source_dir: Path) -> tuple[Path, list[Path]]:
    """The source folder itself (its own files) and the subfolders to watch whole.

    Build output and VCS folders are left out of the watch altogether, so a large
    ``target/`` costs no watches; a top-level folder created later is not seen.
    """
    subtrees = sorted(
        child
        for child in source_dir.iterdir()
        if child.is_dir() and child.name not in IGNORED_SOURCE_DIRS
    )
    return source_dir, subtrees


def is_source_change(path: Path, source_dir: Path, ignored: frozenset[Path]) -> bool:
    """True when a change at ``path`` under ``source_dir`` should trigger a build."""
    if path in ignored:
        return False
    try:
        parts = path.relative_to(source_dir).parts
    except ValueError:
        return False
    if any(part in IGNORED_SOURCE_DIRS for part in parts[:-1]):
        return False
    return bool(parts) and not _IGNORED_SOURCE_FILES.search(parts[-1])


@dataclass(frozen=True)
class _ModuleChanged:
    detected_at: float


@dataclass(frozen=True)
class _SourcesChanged:
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class _BuildFinished:
    event: BuildSucceeded | BuildFailed


class _Stopped:
    pass


_NotifierLoop = Callable[[RustNotify], None]


_Message = _ModuleChanged | _SourcesChanged | _BuildFinished | _Stopped


class ModuleWatcher(Generic[ModuleT]):
    """Follows one module file (and optionally its sources) and swaps it safely.

    Iterate :meth:`events` in one thread (a headless loop or a thread worker); all
    compiling and running happens there. :meth:`stop` may be called from any thread
    and ends the iteration promptly.
    """

    def __init__(
        self,
        path: Path,
        loader: ModuleLoader[ModuleT],
        runner: WindowRunner[ModuleT] | None = None,
        build: BuildConfig | None = None,
        step_ms: int = 30,
    ) -> None:
        """Prepare a watcher; nothing is read or started until :meth:`events`.

        Args:
            path: The ``.wasm`` file to follow.
            loader: Validates and compiles the file's bytes.
            runner: Re-runs the input window with each new module, for the diff.
            build: Rebuild when sources change, or None to only follow the file.
            step_ms: How long the file watcher waits for a burst of writes to end.
        """
        self.path = Path(os.path.abspath(path))
        self._loader = loader
        self._runner = runner
        self._build = build
        self._step_ms = step_ms

        self._messages: queue.Queue[_Message] = queue.Queue()
        self._stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self._build_process: subprocess.Popen[bytes] | None = None
        self._build_lock = threading.Lock()

        self._module: ModuleT | None = None
        self._output: WindowOutput | None = None
        self._signature: FileSignature | None = None
        self._building = False
        self._queued_sources: list[Path] = []
        self._source_digests: dict[Path, bytes] = {}

    @property
    def current(self) -> ModuleT | None:
        """The module running now (None before the first one compiled)."""
        return self._module

    @property
    def current_output(self) -> WindowOutput | None:
        """The running module's output for the window."""
        return self._output

    @property
    def building(self) -> bool:
        """True while the build command runs."""
        return self._building

    @property
    def build_queued(self) -> bool:
        """True when one more build will run after the current one."""
        return bool(self._queued_sources)

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop_event.is_set()

    def stop(self) -> None:
        """End :meth:`events` and any running build; safe from any thread."""
        self._stop_event.set()
        self._messages.put(_Stopped())
        self._kill_build()

    def events(self) -> Iterator[WatchEvent]:
        """Load the module, then yield events until :meth:`stop`.

        The first event is :class:`WatchStarted`. A module that cannot be loaded at
        start raises its SmartbenchError instead, since there is nothing to keep.
        """
        # Watching starts before the first read, so no write can slip between.
        notifiers = self._open_notifiers()
        try:
            yield self._start()
            self._start_threads(notifiers)
            while not self._stop_event.is_set():
                yield from self._handle(self._next_messages())
        finally:
            self.stop()
            for thread in self._threads:
                thread.join(timeout=5)
            for notifier, _loop in notifiers:
                notifier.close()

    def _start(self) -> WatchStarted:
        settled = read_settled(self.path)
        if settled is None:
            raise SmartbenchError(f"{self.path}: no such file, or it is being written")
        data, signature = settled

        module = self._loader(data, self.path)
        output = self._runner.run(module) if self._runner else None
        self._module, self._output, self._signature = module, output, signature
        return WatchStarted(module.info, output)

    def _open_notifiers(self) -> list[tuple[RustNotify, _NotifierLoop]]:
        # The directory, not the file: an atomic rename replaces the file's inode.
        notifiers: list[tuple[RustNotify, _NotifierLoop]] = [
            (_notifier([self.path.parent], recursive=False), self._watch_module_file)
        ]
        if self._build is not None:
            root, subtrees = source_watch_roots(self._build.source_dir.absolute())
            notifiers.append((_notifier([root], recursive=False), self._watch_sources))
            if subtrees:
                notifiers.append(
                    (_notifier(subtrees, recursive=True), self._watch_sources)
                )
        return notifiers

    def _start_threads(self, notifiers: list[tuple[RustNotify, _NotifierLoop]]) -> None:
        for notifier, loop in notifiers:
            thread = threading.Thread(
                target=loop, args=(notifier,), name=loop.__name__, daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _next_messages(self) -> list[_Message]:
        # Take everything queued so a burst of changes costs one reload.
        messages = [self._messages.get()]
        while True:
            try:
                messages.append(self._messages.get_nowait())
            except queue.Empty:
                return messages

    def _handle(self, messages: list[_Message]) -> Iterator[WatchEvent]:
        if any(isinstance(m, _Stopped) for m in messages):
            return
        changed_sources = [
            path for m in messages if isinstance(m, _SourcesChanged) for path in m.paths
        ]
        module_changes = [m for m in messages if isinstance(m, _ModuleChanged)]

        for message in messages:
            if isinstance(message, _BuildFinished):
                yield from self._finish_build(message.event)
        if changed_sources:
            yield from self._request_build(tuple(changed_sources))
        if module_changes and not self._building:
            yield from self._reload(module_changes[0].detected_at)

    def _request_build(self, changed: tuple[Path, ...]) -> Iterator[WatchEvent]:
        changed = self._content_changed(changed)
        if not changed:
            return
        if self._building:
            self._queued_sources.extend(changed)
            yield BuildQueued(changed)
            return
        yield self._launch_build(changed)

    def _content_changed(self, paths: tuple[Path, ...]) -> tuple[Path, ...]:
        # Only new content counts: a build that rewrites a file in its own sources
        # (same bytes each time) or a temporary file already gone must not make
        # every build queue the next one.
        changed: list[Path] = []
        for path in dict.fromkeys(paths):
            digest = _file_digest(path)
            if digest is None or self._source_digests.get(path) == digest:
                continue
            self._source_digests[path] = digest
            changed.append(path)
        return tuple(changed)

    def _finish_build(
        self, event: BuildSucceeded | BuildFailed
    ) -> Iterator[WatchEvent]:
        self._building = False
        yield event

        queued = tuple(path for path in self._queued_sources if path.exists())
        self._queued_sources.clear()
        if queued:
            yield self._launch_build(queued)
        elif isinstance(event, BuildSucceeded) and self._file_changed():
            yield from self._reload(time.monotonic())

    def _file_changed(self) -> bool:
        try:
            return FileSignature.of(self.path) != self._signature
        except FileNotFoundError:
            return False

    def _reload(self, detected_at: float) -> Iterator[WatchEvent]:
        start = _change_started(self.path, detected_at)
        assert self._module is not None
        old_sha = self._module.info.sha256

        settled = read_settled(self.path)
        if settled is None or settled[1] == self._signature:
            return
        data, signature = settled
        read_done = time.monotonic()

        try:
            module = self._loader(data, self.path)
            compiled = time.monotonic()
            output = self._runner.run(module) if self._runner else None
        except SmartbenchError as error:
            yield ReloadFailed(error.message, old_sha)
            return
        ran = time.monotonic()

        diff = None
        if output is not None and self._output is not None:
            diff = diff_outputs(self._output.records, output.records)
        done = time.monotonic()

        self._module, self._output, self._signature = module, output, signature
        timings = ReloadTimings(
            read_ms=(read_done - start) * 1000,
            compile_ms=(compiled - read_done) * 1000,
            run_ms=(ran - compiled) * 1000,
            diff_ms=(done - ran) * 1000,
        )
        yield Reloaded(module.info, (done - start) * 1000, diff, output, timings)

    # --- threads -------------------------------------------------------------------

    def _watch_module_file(self, notifier: RustNotify) -> None:
        for changed in self._changes(notifier):
            if self.path in changed:
                self._messages.put(_ModuleChanged(time.monotonic()))

    def _watch_sources(self, notifier: RustNotify) -> None:
        assert self._build is not None
        source_dir = self._build.source_dir.absolute()
        ignored = frozenset({self.path, self._build.log_path.absolute()})

        for changed in self._changes(notifier):
            sources = [p for p in changed if is_source_change(p, source_dir, ignored)]
            if sources:
                self._messages.put(_SourcesChanged(tuple(sorted(sources))))

    def _changes(self, notifier: RustNotify) -> Iterator[set[Path]]:
        while True:
            result = notifier.watch(_DEBOUNCE_MS, self._step_ms, 0, self._stop_event)
            if isinstance(result, str):
                return
            yield {Path(changed) for _kind, changed in result}

    def _launch_build(self, changed: tuple[Path, ...]) -> BuildStarted:
        assert self._build is not None
        self._building = True
        build = self._build
        thread = threading.Thread(
            target=self._run_build, args=(build,), name="build", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return BuildStarted(build.command, build.log_path, changed)

    def _run_build(self, build: BuildConfig) -> None:
        event = run_build(build, self._register_build_process)
        with self._build_lock:
            self._build_process = None
        self._messages.put(_BuildFinished(event))

    def _register_build_process(self, process: subprocess.Popen[bytes]) -> None:
        with self._build_lock:
            self._build_process = process
        if self._stop_event.is_set():
            self._kill_build()

    def _kill_build(self) -> None:
        with self._build_lock:
            process = self._build_process
        if process is not None and process.poll() is None:
            _kill_process_group(process)


def _file_digest(path: Path) -> bytes | None:
    try:
        with path.open("rb") as file:
            return hashlib.file_digest(file, "blake2b").digest()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return None


def _notifier(paths: list[Path], recursive: bool) -> RustNotify:
    return RustNotify(
        [str(path) for path in paths], False, False, 300, recursive, False
    )


def run_build(
    build: BuildConfig,
    on_start: Callable[[subprocess.Popen[bytes]], None] = lambda _process: None,
) -> BuildSucceeded | BuildFailed:
    """Run the build command once, appending its output to the build log.

    Args:
        build: The command, its directory, log and timeout.
        on_start: Called with the process once it runs, so it can be killed.

    Returns:
        BuildSucceeded when it exited 0, else BuildFailed with its last lines.
    """
    build.log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with build.log_path.open("ab") as log:
        log.write(f"$ {build.command}\n".encode())
        log.flush()
        section_start = log.tell()
        try:
            process = subprocess.Popen(
                ["sh", "-c", build.command],
                cwd=build.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            return BuildFailed(f"cannot run build: {error}", (), build.log_path)
        on_start(process)
        reason = _wait_for_build(process, build.timeout)

    seconds = time.monotonic() - started
    if reason is None:
        return BuildSucceeded(seconds, build.log_path)
    tail = _log_tail(build.log_path, section_start, build.tail_lines)
    return BuildFailed(reason, tail, build.log_path)


def _wait_for_build(process: subprocess.Popen[bytes], timeout: float) -> str | None:
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_process_group(process)
        process.wait()
        return f"build killed after {timeout:g} s"
    if code == 0:
        return None
    if code < 0:
        return f"build killed by signal {-code}"
    return f"build exited with status {code}"


def _kill_process_group(process: subprocess.Popen[bytes]) -> None:
    # The shell's children (compilers, sleep) share its new session's group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _log_tail(path: Path, start: int, lines: int) -> tuple[str, ...]:
    with path.open("rb") as log:
        log.seek(start)
        text = log.read().decode("utf-8", "replace")
    return tuple(text.splitlines()[-lines:])


def _change_started(path: Path, detected_at: float) -> float:
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return detected_at
    if 0 <= age <= _MTIME_TRUST_SECONDS:
        return min(detected_at, time.monotonic() - age)
    return detected_at
