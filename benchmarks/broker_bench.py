"""How fast the embedded broker produces and consumes a million records.

Prints a Markdown report (paste it into README.md under "Benchmarks"):

1. `smartbench produce` of N records of about 100 bytes from a file;
2. `smartbench consume -B -d` of them to /dev/null (a) with no module and
   (b) through the C sample filter `quake-filter` (about one record in three
   passes), each as a real subprocess, wall clock and CPU time;
3. for (b), an in-process pass of the same loop with the time split between
   storage reads, the engine and output formatting;
4. host peak memory of the consumer at two topic sizes (it must not grow with
   the topic) and the filter's guest memory.

    python benchmarks/broker_bench.py [--records N]

The machine is shared, so wall-clock rates can sag; the CPU columns (user +
system time of the subprocess, process time of the split) show the cost
independent of waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from workbench.consume_formats import RecordPrinter  # noqa: E402
from workbench.engine.batches import decode_fields  # noqa: E402
from workbench.engine.broker import Broker  # noqa: E402
from workbench.engine.chain import Chain, StepConfig  # noqa: E402
from workbench.engine.module import load_module  # noqa: E402

FILTER = REPO_ROOT / "sample_modules" / "quake-filter.wasm"
TARGETS = {"produce": 300_000, "consume": 300_000, "filter": 250_000}


@dataclass(frozen=True)
class Run:
    """One subprocess: wall seconds, CPU seconds, peak resident memory in bytes."""

    wall: float
    cpu: float
    max_rss: int


def write_input(path: Path, count: int) -> None:
    """``count`` GeoJSON-like features of about 100 bytes, one per line."""
    with path.open("w") as out:
        for n in range(count):
            magnitude = (n * 7) % 70 / 10
            line = (
                f'{{"id":"q{n:08d}","properties":{{"mag":{magnitude:.1f},'
                f'"place":"{n % 977} km N of Somewhere"}},"v":1}}'
            )
            out.write(line.ljust(99, " ") + "\n")


def run(args: list[str], workspace: Path, stdin: Path | None = None) -> Run:
    """Run `python -m workbench ARGS` with stdout to /dev/null and measure it."""
    env = {
        **os.environ,
        "SMARTBENCH_HOME": str(workspace),
        "SMARTBENCH_NO_SAMPLES": "1",
    }
    with open(os.devnull, "wb") as devnull:
        source = stdin.open("rb") if stdin else None
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench", *args],
            stdin=source,
            stdout=devnull,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO_ROOT,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if source:
            source.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(args)} failed: {stderr}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)


def split_filter_pass(workspace: Path, topic: str) -> tuple[dict[str, float], int, int]:
    """The consume loop in-process, timed per phase; also records out and memory."""
    broker = Broker.open(workspace)
    chain = Chain.build([StepConfig(load_module(FILTER))])
    printer = RecordPrinter()
    times = {"storage": 0.0, "engine": 0.0, "format": 0.0}
    kept = 0
    with open(os.devnull, "wb") as out:
        batches = broker.read_batches(topic, 0, 0)
        while True:
            start = time.process_time()
            batch = next(batches, None)
            times["storage"] += time.process_time() - start
            if batch is None:
                break

            start = time.process_time()
            result = chain.process(
                batch.records, batch.base_offset, batch.base_timestamp
            )
            times["engine"] += time.process_time() - start

            start = time.process_time()
            records = [
                (batch.base_timestamp + stamp, 0, batch.base_offset + delta, key, value)
                for delta, stamp, key, value in decode_fields(result.output)
            ]
            out.write(printer.render(records))
            times["format"] += time.process_time() - start
            kept += len(records)
    guest = max(chain.memory_sizes)
    chain.close()
    return times, kept, guest


def random_page_ms(workspace: Path, topic: str, count: int) -> float:
    """Median time to fetch one screenful (50 records) anywhere in the topic."""
    import random
    import statistics

    broker = Broker.open(workspace)
    chooser = random.Random(7)
    samples = []
    for _ in range(200):
        offset = chooser.randrange(max(count - 50, 1))
        start = time.perf_counter()
        records = broker.read_records(topic, 0, offset, 50)
        samples.append((time.perf_counter() - start) * 1000)
        assert records[0].offset == offset
    return statistics.median(samples)


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}"


def verdict(value: float, target: int) -> str:
    return "met" if value >= target else "**missed**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    count = parser.parse_args().records

    with tempfile.TemporaryDirectory(prefix="smartbench-bench-") as scratch:
        folder = Path(scratch)
        workspace = folder / "workspace"
        data = folder / "records.txt"
        write_input(data, count)
        small = folder / "small.txt"
        write_input(small, count // 10)

        run(["topic", "create", "bench"], workspace)
        run(["topic", "create", "small"], workspace)
        produced = run(["produce", "bench", "-f", str(data)], workspace)
        run(["produce", "small", "-f", str(small)], workspace)

        plain = run(["consume", "bench", "-B", "-d"], workspace)
        plain_small = run(["consume", "small", "-B", "-d"], workspace)
        filtered = run(
            ["consume", "bench", "-B", "-d", "--smartmodule-path", str(FILTER)],
            workspace,
        )
        times, kept, guest = split_filter_pass(workspace, "bench")
        page = random_page_ms(workspace, "bench", count)

    print(report(count, produced, plain, plain_small, filtered, times, kept, guest))
    print(
        f"| `read_records`: 50 records at a random offset, median of 200 | "
        f"{page:.2f} ms |"
    )


def report(
    count: int,
    produced: Run,
    plain: Run,
    plain_small: Run,
    filtered: Run,
    times: dict[str, float],
    kept: int,
    guest: int,
) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    ).stdout.strip()
    machine = (
        f"{platform.machine()} {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}"
    )
    rows = [
        ("produce from a file", produced, TARGETS["produce"]),
        ("(a) consume -B -d, no module", plain, TARGETS["consume"]),
        ("(b) consume -B -d through quake-filter", filtered, TARGETS["filter"]),
    ]
    lines = [
        f"Broker, {count:,} records of 100 bytes (commit {commit}, {machine}).",
        "Rates are input records per second of the whole `smartbench` process,",
        "start-up included; the CPU rate uses user + system time.",
        "",
        "| run | wall | rec/s (wall) | rec/s (CPU) | target | peak RSS |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, measured, target in rows:
        wall_rate = count / measured.wall
        cpu_rate = count / measured.cpu
        lines.append(
            f"| {label} | {measured.wall:.2f} s | {rate(count, measured.wall)} | "
            f"{rate(count, measured.cpu)} | {target:,}: wall "
            f"{verdict(wall_rate, target)}, CPU {verdict(cpu_rate, target)} "
            f"| {measured.max_rss / 2**20:.0f} MiB |"
        )
    total = sum(times.values())
    lines += [
        "",
        f"(b) in-process split over {count:,} input records ({kept:,} kept), CPU time:",
        "",
        "| phase | CPU seconds | share |",
        "|---|---:|---:|",
    ]
    for phase, label in (
        ("storage", "storage reads (SQLite, trimming)"),
        ("engine", "engine (one wasm call per 1,000-record batch)"),
        ("format", "decode output and format"),
    ):
        lines.append(f"| {label} | {times[phase]:.2f} | {times[phase] / total:.0%} |")
    lines += [
        "",
        "| memory | value |",
        "|---|---:|",
        f"| consumer peak RSS, {count // 10:,} records | "
        f"{plain_small.max_rss / 2**20:.0f} MiB |",
        f"| consumer peak RSS, {count:,} records | {plain.max_rss / 2**20:.0f} MiB |",
        f"| quake-filter guest linear memory after the run | {guest / 2**20:.1f} MiB |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
