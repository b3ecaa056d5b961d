"""How long a rebuilt module takes to show its diff in `smartbench watch`.

Prints a Markdown report (paste it into README.md under "Benchmarks").

    python benchmarks/watch_bench.py [--reloads N]

For each module, a headless `smartbench watch` runs over a 1,000-record window
with its stdout on a pipe. Each reload writes the next module beside the watched
file and renames it over it; the clock starts at the rename and stops when the
diff's summary line (``= … unchanged``) arrives on the pipe. Every reload's bytes
are new (a custom section carries a counter), so each one is compiled afresh, as
after a real build. Reloads alternate between two variants so the diff is real
where a variant exists.

A second, in-process pass runs the same reloads through ``ModuleWatcher`` to split
the time between reading, compiling, re-running the window and diffing.

Modules: the C sample map (``tpl-map``, doubling integers; its variant triples
them, built with the samples' own compiler flags), the largest sample
(``quake-line`` over the ``earthquakes`` sample topic) and a synthetic large
module (a WAT map padded with unused functions, the size of a Rust module).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.watch.wat_modules import LOWERCASE, UPPERCASE, map_module  # noqa: E402
from workbench.engine.broker import Broker  # noqa: E402
from workbench.engine.module import LoadedModule  # noqa: E402
from workbench.engine.watch import (  # noqa: E402
    ModuleWatcher,
    Reloaded,
    WatchEvent,
)
from workbench.engine.window import (  # noqa: E402
    ChainWindow,
    load_watched_module,
    read_window,
    window_ranges,
)

SAMPLES = REPO_ROOT / "sample_modules"
WINDOW = 1000
LINE_TIMEOUT = 60.0


@dataclass(frozen=True)
class Case:
    """One module to reload: its two variants and the topic it reads."""

    label: str
    variants: tuple[bytes, bytes]
    topic: str


@dataclass(frozen=True)
class Result:
    """What one case measured, in milliseconds."""

    case: Case
    headless: list[float]
    compile: list[float]
    run: list[float]
    diff: list[float]
    total: list[float]


def tagged(wasm: bytes, counter: int) -> bytes:
    """The module with a custom section appended, so its bytes (and hash) differ."""
    name = b"smartbench-bench"
    payload = _leb(len(name)) + name + counter.to_bytes(8, "little")
    return wasm + b"\x00" + _leb(len(payload)) + payload


def _leb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def build_tripling_map(scratch: Path) -> bytes:
    """The sample map with ``* 3u`` for ``* 2u``, built by the samples' script."""
    project = scratch / "variant"
    (project / "src").mkdir(parents=True)
    shutil.copy(SAMPLES / "build.sh", project)
    shutil.copytree(SAMPLES / "include", project / "include")
    source = (SAMPLES / "src" / "tpl-map.c").read_text()
    (project / "src" / "tpl-map.c").write_text(source.replace("* 2u", "* 3u"))
    subprocess.run(
        ["sh", "build.sh"],
        cwd=project,
        env={**os.environ, "PYTHON": sys.executable},
        check=True,
        capture_output=True,
    )
    return (project / "tpl-map.wasm").read_bytes()


def synthetic_map(functions: int, upper: bool) -> bytes:
    """A WAT map (upper- or lower-casing values) padded with unused functions."""
    padding = "".join(
        f"(func $pad{n} (param i32) (result i32) (local.get 0) (i32.const {n})"
        " (i32.mul) (i32.const 7) (i32.xor) (local.get 0) (i32.add))\n"
        for n in range(functions)
    )
    return map_module(UPPERCASE if upper else LOWERCASE, extra=padding)


def prepare_workspace(workspace: Path) -> None:
    """Sample topics (created on first use) plus 1,000 integers in ``numbers``."""
    env = {**os.environ, "SMARTBENCH_HOME": str(workspace)}
    env.pop("SMARTBENCH_NO_SAMPLES", None)
    numbers = "".join(f"{n}\n" for n in range(1, WINDOW + 1))
    subprocess.run(
        [sys.executable, "-m", "workbench", "topic", "create", "numbers"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "workbench", "produce", "numbers"],
        input=numbers.encode(),
        env=env,
        check=True,
        capture_output=True,
    )


def headless_latencies(
    case: Case, workspace: Path, scratch: Path, reloads: int
) -> list[float]:
    """Rename-to-summary-line times of a real `smartbench watch` process."""
    module = scratch / f"{case.label}.wasm"
    module.write_bytes(tagged(case.variants[0], 0))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "watch",
            str(module),
            "--topic",
            case.topic,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SMARTBENCH_HOME": str(workspace)},
        cwd=scratch,
    )
    lines: queue.Queue[tuple[float, bytes]] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            lines.put((time.perf_counter(), line))

    threading.Thread(target=pump, daemon=True).start()
    try:
        _await_line(lines, lambda line: True)
        latencies = []
        for counter in range(1, reloads + 2):
            started = _replace(module, tagged(case.variants[counter % 2], counter))
            arrived = _await_line(lines, lambda line: line.startswith(b"= "))
            if counter > 1:  # the first reload warms up the process
                latencies.append((arrived - started) * 1000)
        return latencies
    finally:
        process.terminate()
        process.wait()


def _replace(path: Path, data: bytes) -> float:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return time.perf_counter()


def _await_line(
    lines: queue.Queue[tuple[float, bytes]], wanted: Callable[[bytes], bool]
) -> float:
    while True:
        arrived, line = lines.get(timeout=LINE_TIMEOUT)
        if wanted(line):
            return arrived


def in_process_timings(
    case: Case, workspace: Path, scratch: Path, reloads: int
) -> list[Reloaded]:
    """The same reloads through ModuleWatcher, for the split of the time."""
    module = scratch / f"{case.label}-inproc.wasm"
    module.write_bytes(tagged(case.variants[0], 0))
    broker = Broker.open(workspace)
    ranges = window_ranges(broker, case.topic, tail=WINDOW)
    window = ChainWindow(read_window(broker, case.topic, ranges))
    watcher: ModuleWatcher[LoadedModule] = ModuleWatcher(
        module, load_watched_module, window
    )
    events: queue.Queue[WatchEvent] = queue.Queue()

    def pump() -> None:
        for event in watcher.events():
            events.put(event)

    threading.Thread(target=pump, daemon=True).start()
    events.get(timeout=LINE_TIMEOUT)
    reloaded: list[Reloaded] = []
    try:
        for counter in range(1, reloads + 2):
            _replace(module, tagged(case.variants[counter % 2], counter))
            while not isinstance(event := events.get(timeout=LINE_TIMEOUT), Reloaded):
                pass
            if counter > 1:
                reloaded.append(event)
    finally:
        watcher.stop()
        broker.close()
    return reloaded


def measure(case: Case, workspace: Path, scratch: Path, reloads: int) -> Result:
    headless = headless_latencies(case, workspace, scratch, reloads)
    events = in_process_timings(case, workspace, scratch, reloads)
    return Result(
        case,
        headless,
        [e.timings.compile_ms for e in events],
        [e.timings.run_ms for e in events],
        [e.timings.diff_ms for e in events],
        [e.latency_ms for e in events],
    )


def report(results: list[Result], reloads: int) -> str:
    p50 = statistics.median
    rows = [
        "| module | size | window | p50 rename → diff flushed | max | "
        "p50 compile | compile share | p50 window run | p50 diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        share = p50(result.compile) / p50(result.total) * 100
        rows.append(
            f"| {result.case.label} | {len(result.case.variants[0]):,} B | "
            f"{WINDOW:,} | **{p50(result.headless):.0f} ms** | "
            f"{max(result.headless):.0f} ms | {p50(result.compile):.1f} ms | "
            f"{share:.0f} % | {p50(result.run):.1f} ms | {p50(result.diff):.1f} ms |"
        )
    return "\n".join([_header(reloads), "", *rows, ""])


def _header(reloads: int) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"Watch reload, p50 over {reloads} reloads (commit {commit}, "
        f"{platform.machine()} {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, wasmtime "
        f"{importlib.metadata.version('wasmtime')}). Split columns come from an "
        "in-process pass of the same reloads; the share is compile time over the "
        "whole reload (read, compile, init, window, diff)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=10)
    parser.add_argument("--pad-functions", type=int, default=8_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="watch-bench-") as folder:
        scratch = Path(folder)
        workspace = scratch / "workspace"
        prepare_workspace(workspace)
        sample_map = (SAMPLES / "tpl-map.wasm").read_bytes()
        largest = (SAMPLES / "quake-line.wasm").read_bytes()
        cases = [
            Case(
                "C sample map (tpl-map)",
                (sample_map, build_tripling_map(scratch)),
                "numbers",
            ),
            Case("largest sample (quake-line)", (largest, largest), "earthquakes"),
            Case(
                "synthetic WAT map, padded",
                (
                    synthetic_map(args.pad_functions, True),
                    synthetic_map(args.pad_functions, False),
                ),
                "numbers",
            ),
        ]
        results = [measure(case, workspace, scratch, args.reloads) for case in cases]
    print(report(results, args.reloads))


if __name__ == "__main__":
    main()
