"""How fast the workbench's whole-topic run (the `r` key) goes, without the UI.

Prints a Markdown table (paste it into README.md under "Benchmarks"): records per
second of ``run_topic`` over a topic of N records (default 1,000,000) through a C
sample module, writing the output to a temporary topic as the TUI does, on a
broker connection of its own: ``tpl-filter`` over 100-byte values of which half
contain an ``a``, and ``tpl-map`` over decimal integers.

    python benchmarks/topic_run_bench.py [--records N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from workbench.bench import (  # noqa: E402
    BenchSpec,
    BuildCounter,
    LoadedChain,
    StepSpec,
    TopicSource,
    load_step_module,
    run_topic,
)
from workbench.engine.broker import Broker  # noqa: E402
from workbench.engine.types import Limits  # noqa: E402

FILLER = (b" 0123456789bcdefghijklmnopqrstuvwxyz" * 3)[:90]
WORKLOADS = {
    "tpl-filter": ("text", lambda n: (b"a" if n % 2 else b"b") + b"%09d" % n + FILLER),
    "tpl-map": ("numbers", lambda n: b"%d" % n),
}


def make_topics(broker: Broker, count: int) -> None:
    for topic, value in WORKLOADS.values():
        broker.create_topic(topic)
        for start in range(0, count, 100_000):
            stop = min(count, start + 100_000)
            broker.produce(topic, [value(n) for n in range(start, stop)])


def measure(workspace: Path, module: str, count: int) -> tuple[float, float, int]:
    path = REPO_ROOT / "sample_modules" / f"{module}.wasm"
    topic = WORKLOADS[module][0]
    spec = BenchSpec([StepSpec(str(path))], topic=topic)
    loaded = LoadedChain(
        spec, [load_step_module(s, None) for s in spec.steps], Limits(), BuildCounter()
    )
    broker = Broker.open(workspace)
    output = f"out-{module}"
    broker.create_topic(output)

    def write(values: list[bytes], keys: list[bytes | None]) -> None:
        broker.produce(output, values, None, 0, 0)

    wall, cpu = time.perf_counter(), time.process_time()
    summary = run_topic(
        loaded, TopicSource(broker, topic), write, lambda: False, lambda _: None
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    broker.close()
    return summary.records_in / wall, summary.records_in / cpu, summary.records_out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()

    with tempfile.TemporaryDirectory() as directory:
        workspace = Path(directory)
        with Broker.open(workspace) as broker:
            make_topics(broker, args.records)
        rows = [(m, *measure(workspace, m, args.records)) for m in WORKLOADS]

    print(f"Whole-topic run, {args.records:,} records (commit {commit})")
    print()
    print("| module | rec/s (wall) | rec/s (CPU) | records out |")
    print("|---|---:|---:|---:|")
    for module, wall, cpu, out in rows:
        print(f"| {module} | {wall:,.0f} | {cpu:,.0f} | {out:,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
