"""How fast the TUI starts and scrolls, measured headless with Textual's Pilot.

Prints a Markdown report (paste it into README.md under "Benchmarks"):

1. start-up on a new workspace: time from the interpreter starting to the first
   frame, whether prompt_toolkit or a compiled module was loaded by then, and
   time until the first-run bench (`quake-filter` on `earthquakes`) shows
   `85 kept / 1,707`;
2. scrolling a topic of N records (default 1,000,000) through a map: End, then
   PageUp many times, each until the Output pane shows the new rows;
3. host memory (RSS) before and after scrolling to the end.

Each scenario runs in its own subprocess so imports and caches start cold. On a
shared machine wall-clock times sag; the CPU column shows the cost without waiting
for a core. The first run also loads the samples (parsing the data files and
compiling every sample module), which later runs skip.

    python benchmarks/tui_bench.py [--records N] [--pages P]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

STARTUP_PROBE = r"""
import time
began = time.perf_counter()
import asyncio, json, sys
from pathlib import Path
from textual import events
from workbench.app import AppConfig, SmartbenchApp, open_workspace
from workbench.commands import build_parser, parse_command_line

# What `smartbench` with no arguments does before the app: parse the command line.
parse_command_line(build_parser(), [])
workspace = open_workspace(Path(sys.argv[1]))
timings = {}


class TimedApp(SmartbenchApp):
    def on_ready(self, event: events.Ready) -> None:
        timings["first_frame"] = time.perf_counter() - began
        timings["first_frame_cpu"] = time.process_time()
        timings["prompt_toolkit"] = "prompt_toolkit" in sys.modules
        timings["wasmtime"] = "wasmtime" in sys.modules


async def main() -> None:
    app = TimedApp(workspace.path, workspace.broker, AppConfig(), load_samples=True)
    async with app.run_test(size=(120, 30)) as pilot:
        while True:
            bench = app.bench
            if bench is not None and "85 kept / 1,707" in bench.output_title().plain:
                break
            await pilot.pause(0.01)
        timings["filled"] = time.perf_counter() - began
        timings["filled_cpu"] = time.process_time()


asyncio.run(main())
print(json.dumps(timings))
"""

SCROLL_PROBE = r"""
import asyncio, json, sys, time
from pathlib import Path
from tests.engine import wat_fixtures
from workbench.app import AppConfig, SmartbenchApp
from workbench.bench import BenchSpec, StepSpec
from workbench.engine.broker import Broker
from workbench.session import Session

workspace, records, pages = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
broker = Broker.open(workspace)
broker.create_topic("big")
for start in range(0, records, 200_000):
    stop = min(records, start + 200_000)
    broker.produce("big", [b"value-%d" % n for n in range(start, stop)], timestamps=0)
module = workspace / "map.wasm"
module.write_bytes(wat_fixtures.wasm("map"))


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def until(pilot, condition) -> None:
    while not condition():
        await pilot.pause(0.005)


async def main() -> dict[str, float]:
    spec = BenchSpec([StepSpec(str(module))], topic="big")
    session = Session(benches=[spec], existed=True)
    config = AppConfig(poll_topics=False)
    app = SmartbenchApp(workspace, broker, config, session=session)
    result = {}
    async with app.run_test(size=(120, 40)) as pilot:
        bench = app.bench
        await until(pilot, lambda: bench.window is not None)
        result["rss_before_kib"] = rss_kib()

        began = time.perf_counter()
        await pilot.press("end")
        last = records - 1
        await until(pilot, lambda: bench.window and bench.window.end == records)
        result["end_ms"] = (time.perf_counter() - began) * 1000

        began = time.perf_counter()
        for _ in range(pages):
            await pilot.press("pageup")
            top = bench.input_view.visible_range()[0]
            await until(pilot, lambda: bench.window and bench.window.start <= top)
        result["page_ms"] = (time.perf_counter() - began) * 1000 / pages
        result["last_row"] = bench.input_view.row(last).offset
        result["rss_after_kib"] = rss_kib()
    return result


print(json.dumps(asyncio.run(main())))
"""


def _probe(code: str, *args: str) -> dict[str, float]:
    environment = {**os.environ, "SMARTBENCH_NO_SAMPLES": "0"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=environment,
    )
    if done.returncode != 0:
        raise SystemExit(f"probe failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=50)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        start = _probe(STARTUP_PROBE, str(Path(folder) / "new"))
        scroll_dir = Path(folder) / "scroll"
        scroll_dir.mkdir()
        scroll = _probe(
            SCROLL_PROBE, str(scroll_dir), str(options.records), str(options.pages)
        )

    print("| measurement | value |")
    print("|---|---|")
    print(
        f"| first frame after interpreter start (CPU) | {start['first_frame']:.2f} s "
        f"({start['first_frame_cpu']:.2f} s) |"
    )
    print(f"| prompt_toolkit imported by then | {bool(start['prompt_toolkit'])} |")
    print(f"| wasmtime imported by then | {bool(start['wasmtime'])} |")
    print(
        f"| first-run bench shows `85 kept / 1,707` (CPU) | {start['filled']:.2f} s "
        f"({start['filled_cpu']:.2f} s) |"
    )
    records = f"{options.records:,}"
    print(f"| End on {records} records, Output filled | {scroll['end_ms']:.0f} ms |")
    print(
        f"| PageUp with Output recomputed (mean of {options.pages}) | "
        f"{scroll['page_ms']:.0f} ms |"
    )
    print(f"| last offset shown | {int(scroll['last_row']):,} |")
    before = scroll["rss_before_kib"] / 1024
    after = scroll["rss_after_kib"] / 1024
    print(
        f"| host RSS on open / after scrolling to the end | "
        f"{before:.0f} MiB / {after:.0f} MiB |"
    )


if __name__ == "__main__":
    main()
